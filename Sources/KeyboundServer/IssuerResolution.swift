import Hummingbird
import KeyboundStore

/// Resolves the issuer named by the path once, for every route under `/<issuer>/`: the middleware
/// of the issuer's route group. A handler reads it with ``ProviderRequestContext/issuer()``, so no
/// route looks its issuer up again, and none can serve a path whose issuer does not exist
/// (404 `not_found`).
struct IssuerResolution: RouterMiddleware {
    typealias Context = ProviderRequestContext
    let context: ProviderContext

    func handle(_ request: Request, context routeContext: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var routeContext = routeContext
        routeContext.resolvedIssuer = try await context.issuer(try routeContext.parameters.require("issuer"))
        return try await next(request, routeContext)
    }
}
