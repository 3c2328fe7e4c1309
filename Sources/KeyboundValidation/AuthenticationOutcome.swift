import Keybound

/// What `BearerAuthenticator` concluded about one request, recorded in the context and passed to
/// its `onOutcome` hook, so an audit step can record every attempt, allowed or not.
public enum AuthenticationOutcome: Sendable {
    /// A bearer token verified.
    case authenticated(KeyboundIdentity)
    /// A bearer token was presented and the verifier refused it.
    case rejected(TokenRejection)
    /// No bearer credentials: no `Authorization` header, or one with another scheme.
    case missing
    /// An `Authorization` header that names the Bearer scheme but is not one well-formed token,
    /// or more than one `Authorization` header.
    case malformedHeader

    /// The identity, when authenticated.
    public var identity: KeyboundIdentity? {
        if case .authenticated(let identity) = self { return identity }
        return nil
    }

    /// The rejection, when a token was refused.
    public var rejection: TokenRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }

    /// A stable label for logs and metrics: `authenticated`, `rejected`, `missing` or `malformed_header`.
    public var label: String {
        switch self {
        case .authenticated: "authenticated"
        case .rejected: "rejected"
        case .missing: "missing"
        case .malformedHeader: "malformed_header"
        }
    }
}
