import Hummingbird
import KeyboundHummingbird
import KeyboundValidation

extension MailService {
    /// For the load benchmark only (`Benchmarks/load/wrk-mail.sh`), never for serving: the same
    /// routes, with bearer authentication as configured or — when `fixedIdentity` is given —
    /// replaced by that identity for every request, and with auditing on or off. It exists so the
    /// benchmark can report the authenticated, audited endpoint beside the same endpoint without
    /// authentication or without auditing, in one run.
    @_spi(Benchmarking)
    public func benchmarkRouter(fixedIdentity: KeyboundIdentity?, auditing: Bool) -> HeadAnsweringRouter<MailRequestContext> {
        guard let fixedIdentity else {
            return HeadAnsweringRouter(router(auditor: auditing ? auditor : MailAuditor(log: nil, now: now, logger: logger, gate: auditor.gate)))
        }
        let router = Router(context: MailRequestContext.self)
        let group = router.group().add(middleware: FixedIdentity(identity: fixedIdentity))
        MailRoutes(service: self, auditor: auditing ? auditor : MailAuditor(log: nil, now: now, logger: logger, gate: auditor.gate)).register(on: group)
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
