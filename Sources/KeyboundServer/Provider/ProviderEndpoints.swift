import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// The OAuth 2 / OpenID Connect endpoints of every issuer, each under the issuer's own path.
struct ProviderEndpoints: Sendable {
    let context: ProviderContext

    /// The routes under `/<issuer>/`, on the issuer's route group.
    func register(on issuerRoutes: RouterGroup<ProviderRequestContext>) {
        issuerRoutes.post("token") { request, routeContext in
            try await TokenEndpoint(context: context).handle(request, issuer: try routeContext.issuer())
        }
        issuerRoutes.get("authorize") { request, routeContext in
            try await AuthorizeEndpoint(context: context).show(request, issuer: try routeContext.issuer())
        }
        issuerRoutes.get("sign-in.css") { _, _ in LoginPage.stylesheetResponse() }
        issuerRoutes.post("authorize") { request, routeContext in
            try await AuthorizeEndpoint(context: context).submit(request, issuer: try routeContext.issuer(), peer: routeContext.peerAddress)
        }
        issuerRoutes.post("introspect") { request, routeContext in
            try await IntrospectionEndpoint(context: context).handle(request, issuer: try routeContext.issuer())
        }
        issuerRoutes.post("revoke") { request, routeContext in
            try await RevocationEndpoint(context: context).handle(request, issuer: try routeContext.issuer())
        }
        issuerRoutes.get("userinfo") { request, routeContext in
            try await UserinfoEndpoint(context: context).handle(request, issuer: try routeContext.issuer())
        }
        issuerRoutes.post("userinfo") { request, routeContext in
            try await UserinfoEndpoint(context: context).handle(request, issuer: try routeContext.issuer())
        }
    }
}

/// Turns every error into an OAuth-style JSON body: Hummingbird's own HTTP errors keep their
/// status; a store that cannot be used (`storage_error`: the database is down, full or gone)
/// becomes 503 `temporarily_unavailable` with `Retry-After`, so issuance fails closed and clients
/// retry; so does a PKCS#11 token that is away (`custody_unavailable`, or a signature it could not
/// make, or an issuer of its left without an active key by a revocation while it was away);
/// anything else unexpected becomes a 500 `server_error`. Details go to the log only.
struct OAuthErrorMiddleware: RouterMiddleware {
    typealias Context = ProviderRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OAuthError {
            throw error
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : (error.status.code >= 500 ? "server_error" : "invalid_request")
            throw OAuthError(status: error.status, error: code, description: error.body ?? error.status.reasonPhrase)
        } catch let error as StoreError where error.code == .storage {
            // One line every few seconds during an outage, with how many were held back.
            LogThrottle.storeUnavailable.error(context.logger, "store unavailable", metadata: ["error": "\(error.message)"])
            throw OAuthError.storeUnavailable()
        } catch let error as StoreError where error.code == .custodyUnavailable {
            LogThrottle.storeUnavailable.error(context.logger, "signing key custody unavailable", metadata: ["error": "\(error.message)"])
            throw OAuthError.signingUnavailable()
        } catch let error as SigningError where error.isUnavailable {
            LogThrottle.storeUnavailable.error(context.logger, "signing key custody unavailable", metadata: ["error": "\(error.description)"])
            throw OAuthError.signingUnavailable()
        } catch let error as StoreError {
            context.logger.error("store error", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            throw OAuthError.serverError("the store failed (\(error.code.rawValue))")
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)"])
            throw OAuthError.serverError("an unexpected error occurred")
        }
    }
}
