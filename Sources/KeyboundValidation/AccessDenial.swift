/// Why ``IdentityRequirement`` refused an identity, for the response and the audit hook.
public struct AccessDenial: Sendable, CustomStringConvertible {
    /// A stable code for a denial.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No verified identity: 401 with a challenge and no error code.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// The token's issuer is not among the allowed ones: 401 `invalid_token`.
        public static let issuerNotAllowed = Code(rawValue: "issuer_not_allowed")
        /// An application token where a user's is required, or the reverse: 403 `insufficient_scope`.
        public static let wrongPrincipal = Code(rawValue: "wrong_principal")
        /// None of the required scopes or roles: 403 `insufficient_scope`.
        public static let insufficientScope = Code(rawValue: "insufficient_scope")
        /// A consumer-realm token that carries roles: a consumer realm has no tenant-wide roles, so
        /// such a token was never issued by a sound provider, whatever its signature. 403 `insufficient_scope`.
        public static let consumerRealmRole = Code(rawValue: "consumer_realm_role")

        /// Every code, as `docs/errors.md` documents them.
        public static let all: [Code] = [.unauthenticated, .issuerNotAllowed, .wrongPrincipal, .insufficientScope, .consumerRealmRole]
    }

    /// The code.
    public let code: Code
    /// One line for humans.
    public let reason: String
    /// The identity refused, if there was one.
    public let identity: KeyboundIdentity?

    init(_ code: Code, _ reason: String, identity: KeyboundIdentity?) {
        self.code = code
        self.reason = reason
        self.identity = identity
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
