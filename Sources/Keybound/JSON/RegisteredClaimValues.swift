/// The values of the registered claims a scan found, one slot per ``RegisteredClaimName``.
///
/// A fixed set of fields rather than an array: a verification scans one payload, and an array
/// of (name, value) pairs cost it a heap block, a runtime metadata lookup for the pair type and a
/// generic destruction per token. Member names are unique, so each slot is written once at most.
struct RegisteredClaimValues {
    private var iss, sub, aud, exp, nbf, iat, jti, tid, clientID, scope: JSONValue?

    /// The value of `name`, or `nil` when the payload does not carry it.
    subscript(name: RegisteredClaimName) -> JSONValue? {
        get {
            switch name {
            case .iss: iss
            case .sub: sub
            case .aud: aud
            case .exp: exp
            case .nbf: nbf
            case .iat: iat
            case .jti: jti
            case .tid: tid
            case .clientID: clientID
            case .scope: scope
            }
        }
        set {
            switch name {
            case .iss: iss = newValue
            case .sub: sub = newValue
            case .aud: aud = newValue
            case .exp: exp = newValue
            case .nbf: nbf = newValue
            case .iat: iat = newValue
            case .jti: jti = newValue
            case .tid: tid = newValue
            case .clientID: clientID = newValue
            case .scope: scope = newValue
            }
        }
    }

    /// Calls `body` with each claim present, in ``RegisteredClaimName`` order (no array of
    /// names is made: `allCases` would allocate one per call).
    func forEachPresent<E: Error>(_ body: (RegisteredClaimName, JSONValue) throws(E) -> Void) throws(E) {
        if let iss { try body(.iss, iss) }
        if let sub { try body(.sub, sub) }
        if let aud { try body(.aud, aud) }
        if let exp { try body(.exp, exp) }
        if let nbf { try body(.nbf, nbf) }
        if let iat { try body(.iat, iat) }
        if let jti { try body(.jti, jti) }
        if let tid { try body(.tid, tid) }
        if let clientID { try body(.clientID, clientID) }
        if let scope { try body(.scope, scope) }
    }
}
