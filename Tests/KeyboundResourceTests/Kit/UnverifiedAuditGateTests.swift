import Foundation
import Keybound
import KeyboundAudit
@testable import KeyboundResourceKit
import Testing

/// Refused, unverified requests cannot flood the audit log: junk is rate-limited per client
/// address and overall (and counted when dropped); an alert attempt is never dropped, and its
/// repeats fold into one record with a count.
@Suite("Resource kit: the audit log is bounded against refused tokens")
struct UnverifiedAuditGateTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func refused(_ code: String, ip: String = "203.0.113.7", digest: String = "d1", at time: Date = start) -> AuditRecord {
        AuditRecord(time: time, tenant: "contoso", resource: "megan@contoso.example", operation: "messages.list", clientID: "x",
                    clientIP: ip, userAgent: nil, sessionID: nil, tokenIssuer: "https://login.example/contoso", tokenKeyID: "k",
                    tokenID: "j", tokenSubject: nil, tokenAudience: nil, tokenScope: nil, tokenRoles: nil, tokenIssuedAt: nil,
                    tokenExpiresAt: nil, claimsDigest: digest, verdict: .denied, rejectionCode: code, attribution: .unverified)
    }

    @Test("Junk from one address is written up to its burst, then dropped and counted; another address is unaffected")
    func perAddressLimit() {
        var limits = RefusedAuditLimits()
        (limits.perAddressRate, limits.perAddressBurst) = (1, 5)
        let gate = UnverifiedAuditGate(limits: limits, now: Self.start)
        let decisions = (0..<50).map { _ in gate.admit(Self.refused("malformed_token"), now: Self.start) }
        #expect(decisions.filter { $0 == .write }.count == 5)
        #expect(gate.droppedCount == 45)
        #expect(gate.admit(Self.refused("malformed_token", ip: "198.51.100.9"), now: Self.start) == .write)
        // The bucket refills at the address's rate.
        #expect(gate.admit(Self.refused("bad_signature"), now: Self.start.addingTimeInterval(1.5)) == .write)
    }

    @Test("All addresses together are bounded too (a spoofed or distributed flood)")
    func overallLimit() {
        var limits = RefusedAuditLimits()
        (limits.overallRate, limits.overallBurst) = (1, 30)
        let gate = UnverifiedAuditGate(limits: limits, now: Self.start)
        let written = (0..<100).filter { gate.admit(Self.refused("unknown_key", ip: "10.0.\($0 / 250).\($0 % 250)"), now: Self.start) == .write }
        #expect(written.count == 30)
        #expect(gate.droppedCount == 70)
    }

    @Test("An alert attempt is never dropped; its repeats fold into one record with the count when the window closes",
          arguments: ["issuer_key_mismatch", "key_revoked", "key_not_active", "tenant_mismatch", "token_not_issued", "token_claims_mismatch"])
    func alertsFold(code: String) {
        var limits = RefusedAuditLimits()
        (limits.perAddressRate, limits.perAddressBurst, limits.overallRate, limits.overallBurst) = (0.001, 1, 0.001, 1)
        let gate = UnverifiedAuditGate(limits: limits, now: Self.start)
        // Exhaust the address's and the overall budget with junk first: alerts do not depend on it.
        _ = gate.admit(Self.refused("malformed_token"), now: Self.start)
        #expect(gate.admit(Self.refused(code), now: Self.start) == .write)
        for second in 1...40 {
            #expect(gate.admit(Self.refused(code, at: Self.start.addingTimeInterval(Double(second) / 10)), now: Self.start.addingTimeInterval(Double(second) / 10)) == .folded)
        }
        // Another token (another claims digest) is another attempt: written at once.
        #expect(gate.admit(Self.refused(code, digest: "d2"), now: Self.start.addingTimeInterval(5)) == .write)
        #expect(gate.closedFolds(now: Self.start.addingTimeInterval(9)).isEmpty)
        let summaries = gate.closedFolds(now: Self.start.addingTimeInterval(10))
        #expect(summaries.count == 1)
        #expect(summaries.first?.attemptCount == 40)
        #expect(summaries.first?.rejectionCode == code && summaries.first?.claimsDigest == "d1")
        #expect(gate.droppedCount == 0)
        // The second window of the same attempt starts a new record.
        #expect(gate.admit(Self.refused(code), now: Self.start.addingTimeInterval(11)) == .write)
    }

    @Test("A window reopened before its summary was collected keeps its count")
    func reopenedWindowKeepsCount() {
        let gate = UnverifiedAuditGate(now: Self.start)
        #expect(gate.admit(Self.refused("key_revoked"), now: Self.start) == .write)
        #expect(gate.admit(Self.refused("key_revoked"), now: Self.start.addingTimeInterval(1)) == .folded)
        #expect(gate.admit(Self.refused("key_revoked"), now: Self.start.addingTimeInterval(12)) == .write)
        #expect(gate.closedFolds(now: Self.start.addingTimeInterval(12)).map(\.attemptCount) == [1])
    }
}
