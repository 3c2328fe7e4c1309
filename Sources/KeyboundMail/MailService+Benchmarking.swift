import Hummingbird
import KeyboundHummingbird
import KeyboundResourceKit
import KeyboundValidation

extension MailService {
    /// For the load benchmark only (`Benchmarks/load/wrk-mail.sh`), never for serving: the same
    /// routes, with bearer authentication as configured or — when `fixedIdentity` is given —
    /// replaced by that identity for every request, and with auditing on or off. It exists so the
    /// benchmark can report the authenticated, audited endpoint beside the same endpoint without
    /// authentication or without auditing, in one run.
    @_spi(Benchmarking)
    public func benchmarkRouter(fixedIdentity: KeyboundIdentity?, auditing: Bool) -> HeadAnsweringRouter<MailRequestContext> {
        let resourceGuard = auditing ? self.resourceGuard : self.resourceGuard.withoutAuditing()
        let router = Router(context: MailRequestContext.self)
        let routes = MailRoutes(service: self, resourceGuard: resourceGuard)
        if let fixedIdentity {
            routes.register(on: router.group().add(middleware: FixedIdentity(identity: fixedIdentity)))
        } else {
            routes.register(on: resourceGuard.protect(router))
        }
        return HeadAnsweringRouter(router)
    }
}

/// Puts one identity into every request's context (benchmark baseline only).
private struct FixedIdentity: RouterMiddleware {
    typealias Context = MailRequestContext
    let identity: KeyboundIdentity

    func handle(_ request: Request, context: MailRequestContext, next: (Request, MailRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = identity
        context.authenticationOutcome = .authenticated(identity)
        return try await next(request, context)
    }
}
