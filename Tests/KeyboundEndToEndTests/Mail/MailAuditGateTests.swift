import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundAudit
@testable import KeyboundMail
@testable import KeyboundResourceKit
@testable import KeyboundServer
import Testing

/// Refused, unverified requests cannot flood the audit log: junk is rate-limited per client
/// address and overall (and counted when dropped); an alert attempt is never dropped, and its
/// repeats fold into one record with a count.
@Suite("Keybound Mail: the audit log is bounded against refused tokens")
struct MailAuditGateTests {
    @Test("Through Keybound Mail: 300 junk tokens from one address write at most a burst; a forgery's 300 copies are all counted, in a few records")
    func throughTheService() async throws {
        var limits = RefusedAuditLimits()
        limits.foldWindow = 1
        let fixture = try await MailFixture(refusedAuditLimits: limits)
        defer { fixture.remove() }
        let stolen = try await fixture.context.manager.signingKey(issuerID: "consumers")
        let forged = try fixture.forge(with: stolen, issuer: fixture.issuerURL("contoso"), tenant: MailFixture.contosoTenant)
        let before = try await fixture.mail.audit.lastSequence()
        let started = ContinuousClock.now
        try await fixture.withClients { _, mail in
            for index in 0..<300 {
                _ = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: "junk.\(index).token")
            }
        }
        let elapsed = Double((ContinuousClock.now - started).components.seconds) + 1
        let junk = try await fixture.mail.audit.records(after: before, limit: 10_000)
        // The burst, plus what the bucket refilled while the requests ran.
        #expect(junk.count >= Int(limits.perAddressBurst) && Double(junk.count) <= limits.perAddressBurst + limits.perAddressRate * elapsed,
                "\(junk.count) junk records in \(elapsed) s")
        #expect(junk.allSatisfy { $0.attribution == .unverified && $0.rejectionCode == "malformed_token" })
        let afterJunk = try await fixture.mail.audit.lastSequence()
        try await fixture.withClients { _, mail in
            for _ in 0..<300 {
                let response = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: forged)
                #expect(response.status == .unauthorized)
            }
        }
        // The first attempt at once; the repeats in the same window in one record once it closes (a
        // slow machine may split 300 requests over two windows: every attempt is still counted).
        var forgeries: [AuditRecord] = []
        for _ in 0..<50 {
            forgeries = try await fixture.mail.audit.records(after: afterJunk, limit: 10_000)
            if forgeries.reduce(0, { $0 + ($1.attemptCount ?? 1) }) >= 300 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(forgeries.reduce(0) { $0 + ($1.attemptCount ?? 1) } == 300, "every attempt is counted")
        #expect(forgeries.count <= 10, "\(forgeries.count) records for one repeated forgery")
        #expect(forgeries.allSatisfy { $0.rejectionCode == "issuer_key_mismatch" })
        #expect(forgeries.first?.attemptCount == nil && (forgeries.last?.attemptCount ?? 0) > 1)
    }
}
