import Hummingbird
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore

/// The admin API's one authentication: a middleware on the `/admin` route group, in front of
/// every admin route, the routes other modules add and the catch-all alike. It sets the request's
/// ``AdminCaller``; each route then checks its ``AdminPermission`` against it.
///
/// - No admin token configured: every request is 404 (the API is disabled; there is never a
///   default token).
/// - No `Authorization` header, or another scheme: 401 with a bare `Bearer` challenge (RFC 6750 §3.1).
/// - Several headers, or Bearer credentials that are not one token of visible ASCII: 400
///   `invalid_request` (the one bearer reader, ``KeyboundHummingbird/BearerCredentials``).
/// - The admin token: an operator. Tokens are compared as SHA-256 digests in constant time, so
///   neither the token's content nor its length leaks through timing.
/// - A console user's access token (``ConsoleCredentials``): an operator or a tenant admin, or
///   401 / 403 with the reason.
/// - Anything else: 401 `invalid_token`.
struct AdminAuthentication: RouterMiddleware {
    typealias Context = ProviderRequestContext
    /// The SHA-256 digest (hex) of the configured admin token, computed once; `nil` when no token,
    /// or an empty one (possible only in code), is configured: the API is disabled.
    let expectedDigest: String?
    /// Checks console users' tokens.
    let console: ConsoleCredentials

    /// The middleware for `token` (`nil` or empty disables the API).
    init(token: String?, context: ProviderContext) {
        expectedDigest = token.flatMap { $0.isEmpty ? nil : Secrets.hexDigest($0) }
        console = ConsoleCredentials(context: context)
    }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.adminCaller = try await authorize(request.headers)
        } catch let error as StoreError {
            throw AdminEndpoints.map(error, logger: context.logger)
        }
        return try await next(request, context)
    }

    /// The caller whose bearer credentials `headers` carry.
    func authorize(_ headers: HTTPFields) async throws -> AdminCaller {
        guard let expectedDigest else { throw OAuthError.notFound(AdminEndpoints.disabledMessage) }
        switch BearerCredentials.read(headers, syntax: .visibleASCII) {
        case .missing:
            throw OAuthError.bearer(.unauthorized, "", "the admin API needs 'Authorization: Bearer <admin token or console access token>'")
        case .malformed(let why):
            throw OAuthError.bearer(.badRequest, "invalid_request", why)
        case .token(let presented):
            if Secrets.constantTimeEquals(Secrets.hexDigest(presented), expectedDigest) { return .adminToken }
            guard ConsoleCredentials.looksLikeJWT(presented) else {
                throw OAuthError.bearer(.unauthorized, "invalid_token", "the admin token is not valid")
            }
            return try await console.caller(presented)
        }
    }
}
