import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import Logging

/// Writes one audit record per access attempt to a protected resource. A request is answered only
/// after its record is durable (the log batches concurrent appends into one commit); if the record
/// cannot be written the request is refused with 503, never served unrecorded.
struct ResourceAuditor: Sendable {
    /// `nil` only in a benchmark's baseline router (`MailService.benchmarkRouter`).
    let log: AuditLog?
    /// The resource's description (how to classify a refused request).
    let description: ResourceDescription
    let now: @Sendable () -> Date
    let logger: Logger
    /// Bounds the records of refused, unverified requests (rate limits, folded alert repeats).
    let gate: UnverifiedAuditGate
    /// The resource's metrics (records of refused requests dropped).
    let metrics: ResourceMetrics

    /// Records an attempt. `identity` is the verified token, if any; otherwise the request's
    /// bearer token (if it has one) is described from its unverified contents.
    func record(_ request: Request, _ context: ResourceRequestContext, operation: String, target: ResourceTarget,
                verdict: AuditRecord.Verdict, code: String?) async throws(ResourceError) {
        guard log != nil else { return }
        try await append(makeRecord(request, context, operation: operation, target: target, verdict: verdict, code: code))
    }

    /// The audit record of an attempt (not yet appended).
    func makeRecord(_ request: Request, _ context: ResourceRequestContext, operation: String, target: ResourceTarget,
                    verdict: AuditRecord.Verdict, code: String?) -> AuditRecord {
        let fields: AuditedTokenFields
        // A verified token's record names the tenant it was verified in; a refused token's names
        // only what it claims, marked unverified, so it never enters that tenant's feed.
        let tenantID: String?, tenantIssuer: String?, attribution: AuditRecord.Attribution
        if let identity = context.identity {
            fields = AuditedTokenFields(identity)
            (tenantID, tenantIssuer, attribution) = (target.tenant?.tenantID, target.tenant?.issuer, .verified)
        } else {
            if let token = Bearer.token(in: request.headers), token.utf8.count <= 65_536 {
                fields = AuditedTokenFields(unverified: token)
            } else {
                fields = AuditedTokenFields(unverified: "")
            }
            (tenantID, tenantIssuer, attribution) = (fields.tenantID, fields.issuer, .unverified)
        }
        return AuditRecord(
            time: now(), tenant: tenantID, resource: target.resource, operation: operation,
            itemIDs: target.items, clientID: fields.clientID, clientIP: context.remoteAddress?.ipAddress,
            userAgent: request.headers[.userAgent], sessionID: fields.sessionID, tokenIssuer: fields.issuer,
            tokenKeyID: fields.keyID, tokenID: fields.tokenID, tokenSubject: fields.subject, tokenAudience: fields.audience,
            tokenScope: fields.scope, tokenRoles: fields.roles, tokenIssuedAt: fields.issuedAt, tokenExpiresAt: fields.expiresAt,
            claimsDigest: fields.claimsDigest, verdict: verdict, rejectionCode: code,
            tenantIssuer: tenantIssuer, attribution: attribution, resourceServer: description.audience)
    }

    /// Appends `record`; when that fails, logs it and throws the 503 refusal.
    func append(_ record: AuditRecord) async throws(ResourceError) {
        guard let log else { return }
        do {
            try await log.append(record)
        } catch {
            logger.error("audit append failed; refusing the request", metadata: ["error": "\(error)", "operation": "\(record.operation)"])
            throw ResourceError.auditUnavailable
        }
    }

    /// Appends the record of a refused, unverified request if ``gate`` lets it through. A failure
    /// is logged: the refusal is answered either way.
    func appendUnverified(_ record: AuditRecord) async {
        switch gate.admit(record, now: now()) {
        case .write: break
        case .folded: return
        case .dropped:
            metrics.auditDropped.increment()
            return
        }
        await appendLogging(record)
        gate.flushWhileFolding(now: now) { summary in await appendLogging(summary) }
    }

    private func appendLogging(_ record: AuditRecord) async {
        do { try await append(record) } catch {
            logger.error("a refused request could not be audited", metadata: ["error": "\(error)", "code": "\(record.rejectionCode ?? "-")"])
        }
    }

    /// The record of a request the bearer authenticator refused (or found without a token), or
    /// `nil` for an authenticated one.
    func refusalRecord(_ request: Request, _ context: ResourceRequestContext, _ outcome: AuthenticationOutcome) -> AuditRecord? {
        let code: String
        switch outcome {
        case .authenticated: return nil
        case .rejected(let rejection): code = rejection.code.rawValue
        case .missing: code = "missing_token"
        case .malformedHeader: code = "invalid_request"
        }
        let attempt = description.classify(request)
        return makeRecord(request, context, operation: attempt.operation,
                          target: ResourceTarget(resource: attempt.resource, items: attempt.items), verdict: .denied, code: code)
    }
}
