import Hummingbird
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore

/// The admin API's one authentication: a middleware on the `/admin` route group, in front of
/// every admin route, the routes other modules add and the catch-all alike.
///
/// - No admin token configured: every request is 404 (the API is disabled; there is never a
///   default token).
/// - No `Authorization` header, or another scheme: 401 with a bare `Bearer` challenge (RFC 6750 §3.1).
/// - Several headers, or Bearer credentials that are not one token of visible ASCII: 400
///   `invalid_request` (the one bearer reader, ``KeyboundHummingbird/BearerCredentials``).
/// - Any other token: 401 `invalid_token`. Tokens are compared as SHA-256 digests in constant
///   time, so neither the token's content nor its length leaks through timing.
struct AdminAuthentication<Context: RequestContext>: RouterMiddleware {
    /// The SHA-256 digest (hex) of the configured admin token, computed once; `nil` when no token,
    /// or an empty one (possible only in code), is configured: the API is disabled.
    let expectedDigest: String?

    /// The middleware for `token` (`nil` or empty disables the API).
    init(token: String?) {
        expectedDigest = token.flatMap { $0.isEmpty ? nil : Secrets.hexDigest($0) }
    }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        try Self.authorize(request.headers, expectedDigest: expectedDigest)
        return try await next(request, context)
    }

    /// Checks the request's bearer credentials against the token whose digest is `expectedDigest`.
    static func authorize(_ headers: HTTPFields, expectedDigest: String?) throws(OAuthError) {
        guard let expectedDigest else { throw OAuthError.notFound(AdminEndpoints.disabledMessage) }
        switch BearerCredentials.read(headers, syntax: .visibleASCII) {
        case .missing:
            throw OAuthError.bearer(.unauthorized, "", "the admin API needs 'Authorization: Bearer <admin token>'")
        case .malformed(let why):
            throw OAuthError.bearer(.badRequest, "invalid_request", why)
        case .token(let presented):
            guard Secrets.constantTimeEquals(Secrets.hexDigest(presented), expectedDigest) else {
                throw OAuthError.bearer(.unauthorized, "invalid_token", "the admin token is not valid")
            }
        }
    }
}
