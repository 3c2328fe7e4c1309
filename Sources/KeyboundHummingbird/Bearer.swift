import KeyboundValidation
import Hummingbird

/// The bearer defaults of the middleware, and the one way to read a request's bearer token.
///
/// Bearer-token authentication for Hummingbird resource servers, built on `TokenVerifier`.
///
/// - ``BearerAuthenticator`` reads `Authorization: Bearer …`, verifies the token and records a
///   `KeyboundIdentity` and an `AuthenticationOutcome` in a ``KeyboundAuthenticatedContext``.
/// - ``RequireIdentity`` (or `IdentityRequirement` in a route) enforces issuers, scopes, roles and
///   the kind of principal.
/// - `VerifiedTokenCache` with `CachingTokenVerifier` skips re-verifying a token seen recently,
///   never beyond its `exp`, and forgets a key's tokens the moment `VerifiedTokenCache/invalidate(issuer:keyID:)`
///   is called for it.
///
/// See `docs/middleware.md`.
public enum Bearer {
    /// The realm named in `WWW-Authenticate` challenges unless another is given.
    public static let defaultRealm = "keybound"
}

extension Bearer {
    /// The bearer token of a request's `Authorization` header, read exactly as
    /// ``BearerAuthenticator`` reads it, or `nil` when there is none or the header is malformed.
    /// For audit steps that must describe a refused token (its claims are then unverified).
    public static func token(in headers: HTTPFields) -> String? {
        if case .token(let token) = BearerCredentials.read(headers) { return token }
        return nil
    }
}
