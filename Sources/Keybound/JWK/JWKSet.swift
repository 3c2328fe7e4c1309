/// A JWK Set (RFC 7517 §5) imported for verification.
///
/// Import is strict where it matters and forgiving where RFC 7517 asks for it:
/// - a set with duplicate `kid`s, a symmetric (`oct`) key, or private key members is refused whole;
/// - a key of a type or algorithm Keybound does not support is skipped, with a warning;
/// - a weak or invalid key is kept as *unusable*, so a token naming it is rejected with
///   `key_not_usable` rather than `unknown_key`;
/// - a key without `kid` can never be selected (tokens without `kid` are refused), so it is skipped.
public struct JWKSet: Sendable {
    /// A key of the set that was refused at import but whose `kid` is known.
    public struct UnusableKey: Sendable {
        /// The key's `kid`.
        public let keyID: String
        /// The per-key `issuer`, if it had one.
        public let issuer: String?
        /// Why it was refused.
        public let error: KeyImportError
    }

    /// The usable keys, in document order.
    public let keys: [JWK]
    /// Keys refused as weak or invalid, by `kid`.
    public let unusableKeys: [UnusableKey]
    /// One line for each key that was skipped.
    public let warnings: [String]

    /// Creates a set from keys already imported; refuses duplicate `kid`s.
    public init(keys: [JWK]) throws(KeyImportError) {
        var seen: Set<ExactString> = []
        for key in keys {
            guard let keyID = key.keyID else { continue }
            guard seen.insert(ExactString(keyID)).inserted else {
                throw KeyImportError(.duplicateKeyID, "kid '\(keyID)' appears more than once in the set")
            }
        }
        self.keys = keys
        self.unusableKeys = []
        self.warnings = []
    }

    /// Imports a JWK Set from its JSON text.
    public init(json: some Collection<UInt8>) throws(KeyImportError) {
        let object: JSONObject
        do {
            object = try StrictJSONParser.parseObject(json)
        } catch {
            throw KeyImportError(.malformed, "the JWK Set is not a valid JSON object: \(error)")
        }
        try self.init(jsonObject: object)
    }

    /// Imports a JWK Set from a parsed JSON object.
    public init(jsonObject object: JSONObject) throws(KeyImportError) {
        guard case .array(let elements)? = object["keys"] else {
            throw KeyImportError(.malformed, "a JWK Set needs a 'keys' array")
        }
        var keys: [JWK] = []
        var unusable: [UnusableKey] = []
        var warnings: [String] = []
        var seenKeyIDs: Set<ExactString> = []
        for (position, element) in elements.enumerated() {
            guard case .object(let member) = element else {
                throw KeyImportError(.malformed, "keys[\(position)] is not an object")
            }
            let keyID = member["kid"]?.stringValue
            if let keyID, !seenKeyIDs.insert(ExactString(keyID)).inserted {
                throw KeyImportError(.duplicateKeyID, "kid '\(keyID)' appears more than once in the set")
            }
            if member.names.contains(where: JWK.privateMemberNames.contains) {
                let isSymmetric = member["kty"]?.stringValue?.isExactly("oct") == true
                throw KeyImportError(
                    isSymmetric ? .symmetricKey : .privateKeyMaterial,
                    isSymmetric ? "keys[\(position)] is a symmetric (oct) key; a verification set must not mix them in"
                                : "keys[\(position)] carries private key members; publish only public keys"
                )
            }
            do {
                let key = try JWK(jsonObject: member)
                guard key.keyID != nil else {
                    warnings.append("keys[\(position)] skipped: it has no kid, so no token can select it")
                    continue
                }
                keys.append(key)
            } catch {
                switch error.code {
                case .symmetricKey:
                    throw KeyImportError(.symmetricKey, "keys[\(position)]: \(error.reason); a verification set must not mix them in")
                case .unsupportedKeyType, .unsupportedAlgorithm:
                    warnings.append("keys[\(position)]\(keyID.map { " (kid '\($0)')" } ?? "") skipped: \(error.reason)")
                default:
                    if let keyID {
                        unusable.append(UnusableKey(keyID: keyID, issuer: member["issuer"]?.stringValue, error: error))
                    } else {
                        warnings.append("keys[\(position)] skipped: \(error.reason)")
                    }
                }
            }
        }
        self.keys = keys
        self.unusableKeys = unusable
        self.warnings = warnings
    }

    /// The JWKS JSON of the usable keys' public members.
    public var publicJSON: JSONObject {
        JSONObject(["keys": .array(keys.map { .object($0.publicJSON) })])
    }
}
