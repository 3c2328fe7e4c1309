import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import Logging

/// The kit's one entry point for a protected resource's routes: bearer authentication in front of
/// them, and exactly one audit record per request behind them.
///
/// - ``protect(_:)`` adds the bearer middleware to a router: a refused or missing token is
///   answered with its challenge and recorded (bounded by ``RefusedAuditLimits``), and an alert
///   is raised for a real key used where it does not belong.
/// - ``serve(_:_:operation:requirement:_:)`` runs one route: it enforces the route's requirement,
///   runs the handler, and records the attempt as allowed or denied. The response leaves only once
///   its record is durable; when the record cannot be written the answer is 503.
public struct ResourceGuard: Sendable {
    /// The resource guarded.
    public let description: ResourceDescription
    /// How tokens are verified.
    public let trust: ResourceTrust
    /// Where alerts are raised, if anywhere.
    public let alerts: AlertCenter?
    private(set) var auditor: ResourceAuditor

    /// A guard recording in `audit`.
    ///
    /// - Parameters:
    ///   - description: the resource.
    ///   - audit: where every attempt is recorded.
    ///   - trust: how tokens are verified.
    ///   - alerts: where alerts of refused tokens are raised.
    ///   - refusedAuditLimits: the bounds on records of refused, unverified requests.
    ///   - logger: where a failed audit append is logged.
    ///   - now: the clock of the records.
    public init(description: ResourceDescription, audit: AuditLog, trust: ResourceTrust, alerts: AlertCenter? = nil,
                refusedAuditLimits: RefusedAuditLimits = RefusedAuditLimits(), logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(description: description, audit: Optional(audit), trust: trust, alerts: alerts,
                  refusedAuditLimits: refusedAuditLimits, logger: logger, now: now)
    }

    init(description: ResourceDescription, audit: AuditLog?, trust: ResourceTrust, alerts: AlertCenter?,
         refusedAuditLimits: RefusedAuditLimits, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.init(description: description, audit: audit, trust: trust, alerts: alerts,
                  gate: UnverifiedAuditGate(limits: refusedAuditLimits, now: now()), logger: logger, now: now)
    }

    /// A guard whose records of refused, unverified requests pass `gate`, which the resources of
    /// one environment share: the bounds hold for the listener, not for each resource on it.
    init(description: ResourceDescription, audit: AuditLog?, trust: ResourceTrust, alerts: AlertCenter?,
         gate: UnverifiedAuditGate, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.description = description
        self.trust = trust
        self.alerts = alerts
        auditor = ResourceAuditor(log: audit, description: description, now: now, logger: logger, gate: gate,
                                  metrics: ResourceMetrics(name: description.metricsName))
    }

    /// The same guard, recording nothing: for a benchmark's baseline only.
    package func withoutAuditing() -> ResourceGuard {
        var copy = self
        copy.auditor = ResourceAuditor(log: nil, description: description, now: auditor.now, logger: auditor.logger, gate: auditor.gate,
                                       metrics: auditor.metrics)
        return copy
    }

    /// The router's group in which every route needs a verified token for this resource.
    public func protect(_ router: Router<ResourceRequestContext>) -> RouterGroup<ResourceRequestContext> {
        let auditor = self.auditor
        let alerts = self.alerts
        let onRejection = trust.onRejection
        return router.group().add(middleware: BearerAuthenticator<ResourceRequestContext>(
            realm: description.realm, required: true, cache: trust.cache, verifier: trust.verifier, onlineChecks: trust.onlineChecks,
            onOutcome: { request, context, outcome in
                guard let record = auditor.refusalRecord(request, context, outcome) else { return }
                await auditor.appendUnverified(record)
                guard let rejection = outcome.rejection else { return }
                alerts?.raise(rejection, context: AlertContext(tokenID: record.tokenID, tenant: record.tenant, mailbox: record.resource,
                                                               clientID: record.clientID, clientIP: record.clientIP))
                onRejection(rejection)
            }))
    }

    /// Enforces `requirement`, runs `body`, and records the attempt: denied with its code when the
    /// requirement or `body` refuses (a ``ResourceRefusal`` names its target; a bare
    /// ``ResourceError`` is recorded against what the request line addresses), allowed with the
    /// target `body` reports otherwise. The response is returned only once its record is durable.
    public func serve(_ request: Request, _ context: ResourceRequestContext, operation: String, requirement: IdentityRequirement,
                      _ body: (KeyboundIdentity) async throws -> (Response, ResourceTarget)) async throws -> Response {
        guard let identity = context.identity else { throw BearerError.missingToken(realm: description.realm) }
        func addressed() -> ResourceTarget {
            let attempt = description.classify(request)
            return ResourceTarget(tenant: identity.tenant, resource: attempt.resource, items: attempt.items)
        }
        if let denial = requirement.evaluate(identity) {
            try await auditor.record(request, context, operation: operation, target: addressed(), verdict: .denied, code: denial.code.rawValue)
            throw denial.error(requirement: requirement, realm: description.realm)
        }
        do {
            let (response, target) = try await body(identity)
            try await auditor.record(request, context, operation: operation, target: target, verdict: .allowed, code: nil)
            return response
        } catch let refusal as ResourceRefusal {
            try await auditor.record(request, context, operation: operation, target: refusal.target, verdict: .denied, code: refusal.error.code)
            throw refusal.error.inRealm(description.realm)
        } catch let error as ResourceError {
            try await auditor.record(request, context, operation: operation, target: addressed(), verdict: .denied, code: error.code)
            throw error.inRealm(description.realm)
        } catch {
            // Anything else a handler throws is a fault of the handler: recorded, and answered 503
            // without its details (which go to the log), never unrecorded and never a 500.
            auditor.logger.error("a protected route failed", metadata: ["operation": "\(operation)", "error": "\(error)"])
            try await auditor.record(request, context, operation: operation, target: addressed(), verdict: .denied, code: "internal_error")
            throw ResourceError.internalFailure
        }
    }
}

extension ResourceError {
    func inRealm(_ realm: String) -> ResourceError {
        var copy = self
        copy.realm = realm
        return copy
    }
}
