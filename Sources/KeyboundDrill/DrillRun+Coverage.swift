import Foundation
import Keybound
import KeyboundAudit
import KeyboundHunt
import KeyboundIncident

/// One audit record the hunt listed as a finding, as the drill matches it to an attacker request:
/// the token's `jti` and the refusal code (`nil` when served).
struct FindingKey: Hashable {
    let tokenID: ExactString
    let code: String?

    init(tokenID: String, code: String?) {
        self.tokenID = ExactString(tokenID)
        self.code = code
    }
}

/// What the hunt and the incident made of the attacker's requests: which are findings, which only
/// in the trace of the key, and which organisations a notice must reach.
extension DrillRun {
    /// Whether the hunt listed this request's own record as a finding.
    func isFinding(_ attempt: StormDrillResult.Attempt) -> Bool {
        findingRequests.contains(FindingKey(tokenID: attempt.tokenID, code: attempt.code))
    }

    /// Attacker requests (before the response) that are not findings, counted by refusal code.
    var refusalsOutsideFindings: [String: Int] {
        attempts.filter { !isFinding($0) }.reduce(into: [:]) { $0[$1.code ?? "served", default: 0] += 1 }
    }

    /// Prints how many attacker requests the findings hold, and where the others are.
    func describeCoverage(_ report: HuntReport) {
        let found = attempts.count { isFinding($0) }
        say("  Attacker requests among the findings: \(found) of \(attempts.count). Ordinary requests flagged: \(falsePositives).")
        let outside = refusalsOutsideFindings
        guard !outside.isEmpty else { return }
        let codes = outside.sorted { $0.key < $1.key }
        paragraph("""
            The other \(attempts.count - found) were refused with codes that are not findings \
            (\(codes.map { "\($0.key): \($0.value)" }.joined(separator: ", "))). They are in the hunt's trace of the key, \
            which counts every request naming it by refusal code (\(codes.map { "\($0.key): \(tracedRefusals[$0.key] ?? 0)" }
                .joined(separator: ", "))).
            """)
    }

    /// The organisations (issuer ids) whose data the attacker reached or that a verified attacker
    /// token targeted: the tenants, (issuer, tid), of the audit records that carry an attacker
    /// token's `jti` and are marked verified. A refused token's record says only what it claimed.
    func organisationsToNotify() async throws -> [String] {
        let attackerTokens = Set(forgeries.map { ExactString($0.tokenID) })
        var tenants: Set<Tenant> = []
        try await world.mail.audit.forEach { record in
            guard record.attribution == .verified, let tokenID = record.tokenID, attackerTokens.contains(ExactString(tokenID)),
                  let tenantID = record.tenant, let issuer = record.tenantIssuer else { return }
            tenants.insert(Tenant(issuer: issuer, tenantID: tenantID, kind: .tenant))
        }
        return world.tenants.filter { tenants.contains(Tenant(issuer: $0.url, tenantID: $0.tenantID, kind: .tenant)) }.map(\.id)
    }

    /// Prints who got a notice, who must, and where the attempts on everyone else are.
    func describeNotices(_ notices: [String: [String]], mustNotify: [String], hunt: String) {
        let noticed = world.tenants.filter { notices[$0.id] != nil }.map(\.id)
        say("    notices written for: " + (noticed.isEmpty ? "none" : noticed.joined(separator: ", ")))
        let extra = noticed.filter { !mustNotify.contains($0) }
        if !extra.isEmpty {
            DrillText.paragraph("""
                \(extra.joined(separator: ", ")) got a notice although only refused tokens named them (their notices \
                say what was refused).
                """, indent: 4).forEach(say)
        }
        let unnoticed = world.tenants.filter { tenant in
            notices[tenant.id] == nil && attempts.contains { $0.claimedTenant == tenant.id }
        }
        guard !unnoticed.isEmpty else { return }
        let unnoticedIDs = Set(unnoticed.map(\.id))
        let naming = attempts.filter { unnoticedIDs.contains($0.claimedTenant) }
        let listed = naming.count { hunt.contains($0.tokenID) && isFinding($0) }
        DrillText.paragraph("""
            No notice for \(unnoticed.map(\.id).joined(separator: ", ")): nothing of theirs was reached, and only refused tokens \
            named them. What a refused token claims is not evidence: anyone can write any tid. Their \(naming.count) refused \
            requests are in hunt.md (\(listed) listed as findings by jti, the rest counted in the key's trace), for the \
            responder to decide whom else to warn.
            """, indent: 4).forEach(say)
    }
}
