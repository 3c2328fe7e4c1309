import Foundation
import KeyboundDrill
import Synchronization
import Testing

/// Issue 6, item 5: `keybound demo storm-0558` runs end to end, in-process and from the CLI, and
/// every one of its claims is checked on the structured result.
@Suite("Storm-0558 drill", .serialized)
struct StormDrillTests {
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test("In-process, 5 days: forgeries refused or found, the kid-only validator fooled, the incident closed, users unaffected",
          .timeLimit(.minutes(3)))
    func endToEnd() async throws {
        let lines = Lines()
        let result = try await StormDrill.run(StormDrillOptions(days: 5)) { lines.append($0) }
        #expect(result.passed, "\(result.failures.map { "\($0.name): \($0.detail)" })")

        // A month (here 5 days) of ordinary traffic, all served, one rotation per issuer.
        #expect(result.traffic.count == 3)
        #expect(result.traffic.allSatisfy { $0.requestsServed > 0 && $0.requestsRefused == 0 })
        #expect(result.rotations == 3)

        // (a) Cross-issuer forgeries: refused everywhere with issuer_key_mismatch, each one alerted.
        let crossIssuer = result.attempts.filter { $0.token.hasPrefix("A") }
        #expect(crossIssuer.count == 8, "4 tokens, each to both front ends")
        #expect(crossIssuer.allSatisfy { $0.status == 401 && $0.code == "issuer_key_mismatch" && $0.itemsRead == 0 })
        #expect(Set(crossIssuer.map(\.claimedIssuer)) == ["contoso", "fabrikam"])
        #expect(result.alerts["keybound_mail"]?["issuer_key_mismatch"] == 4)
        #expect(result.alerts["mail_edge"]?["issuer_key_mismatch"] == 4)

        // (b) Same-issuer forgeries: cryptographically valid, refused by the ledger check, served by
        // the validator without it, and found by the hunt as forged tokens.
        let sameIssuer = result.verdicts.filter { $0.token.hasPrefix("B") }
        #expect(sameIssuer.count == 3)
        #expect(sameIssuer.allSatisfy { $0.keyboundSignatureCheck == "verified" })
        let consumer = result.attempts.filter { $0.token.hasPrefix("B") }
        #expect(consumer.filter { $0.frontEnd == "keybound_mail" }.allSatisfy { $0.code == "token_not_issued" })
        #expect(result.alerts["keybound_mail"]?["token_not_issued"] == 3)
        let served = consumer.filter { $0.frontEnd == "mail_edge" }
        #expect(served.count == 3 && served.allSatisfy { $0.served && $0.itemsRead > 0 })
        #expect(Set(served.map(\.tokenID)).isSubset(of: Set(result.forgedTokenIDs)), "every served forgery is a forged-token finding")
        #expect(result.findings["forged_token"] == 6)
        #expect(result.findings["cross_issuer_key"] == 8)
        #expect(Set(crossIssuer.map(\.tokenID)).isSubset(of: Set(result.crossIssuerTokenIDs)))
        #expect(result.falsePositives == 0)

        // (c) The kid-only validator accepts every attacker token.
        #expect(result.verdicts.count == 7)
        #expect(result.verdicts.allSatisfy { $0.kidOnlyAccepted })
        #expect(result.verdicts.allSatisfy { $0.keyboundMail != "served" })

        // First-time access: the legitimately new application is a lead, not a finding.
        #expect(result.leads.contains { $0.clientID == "contoso-archiver" && !$0.isAttacker })
        #expect(result.leads.filter { !$0.isAttacker }.count == 1, "\(result.leads.map(\.clientID))")

        // The response.
        let incident = result.incident
        #expect(incident.closed)
        #expect(incident.steps == ["revoke_key", "activate_fresh_key", "revoke_tokens", "hunt", "write_notices", "close"])
        #expect(Set(incident.notices.keys) == ["consumers", "contoso", "fabrikam"])
        #expect(incident.notices.values.allSatisfy { $0.count == 2 }, "Markdown and JSON")
        #expect(incident.containmentSeconds == Double(35 * 60), "first malicious request at 01:00, revocation at 01:35 (simulated)")
        #expect(incident.freshKeyID != nil && incident.freshKeyID != result.stolenKeyID)
        #expect((incident.edgePropagationSeconds ?? 99) < 5)
        #expect(result.dataDirectory == nil)
        #expect(!FileManager.default.fileExists(atPath: incident.folder), "the temporary directory is removed")

        // Afterwards: legitimate tokens work, the stolen key does not.
        #expect(result.aftermath.allSatisfy { $0.applicationWorks && $0.peopleServed == $0.people })
        #expect(result.aftermath.filter { $0.tenant != "consumers" }.allSatisfy { $0.peopleSignedInAgain == 0 })
        let after = result.attempts.filter { $0.token == "C1" }
        #expect(after.count == 2 && after.allSatisfy { $0.status == 401 && $0.code == "key_revoked" })

        // The report a newcomer reads.
        let report = lines.all
        #expect(report.count < 125, "\(report.count) lines")
        let text = report.joined(separator: "\n")
        for phrase in ["What a kid-only validator would have accepted", "ACCEPTED", "issuer_key_mismatch", "token_not_issued",
                       "lead", "Containment: 35 min", "notices written for: consumers, contoso, fabrikam", "key_revoked",
                       "Result: all \(result.expectations.count) expectations held"] {
            #expect(text.contains(phrase), "\(phrase)")
        }
    }

    @Test("keybound demo storm-0558 --days 3 --keep DIR: exit 0, a readable report, and the notices where it says")
    func command() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kept = directory.appendingPathComponent("drill")
        let outcome = try await CLIRunner.run(["demo", "storm-0558", "--days", "3", "--keep", kept.path])
        #expect(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        for phrase in ["Storm-0558 drill", "Act 3. Forged enterprise tokens", "ACCEPTED", "issuer_key_mismatch", "token_not_issued",
                       "served (5 messages)", "Containment:", "Incident folder: \(kept.path)/incidents/INC-", "key_revoked",
                       "Result: all"] {
            #expect(outcome.stdout.contains(phrase), "\(phrase)")
        }
        let incidents = try FileManager.default.contentsOfDirectory(atPath: kept.appendingPathComponent("incidents").path)
        let incident = try #require(incidents.first)
        let notices = try FileManager.default.contentsOfDirectory(
            atPath: kept.appendingPathComponent("incidents/\(incident)/notices").path)
        #expect(notices.count == 6, "\(notices)")
        #expect(FileManager.default.fileExists(atPath: kept.appendingPathComponent("audit.sqlite").path))
    }

    @Test("--json prints the structured result; a bad --days is a usage error")
    func json() async throws {
        let outcome = try await CLIRunner.run(["demo", "storm-0558", "--days", "3", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let json = try #require(outcome.json)
        #expect(json["passed"] as? Bool == true)
        #expect((json["verdicts"] as? [[String: Any]])?.count == 7)
        #expect((json["expectations"] as? [[String: Any]])?.allSatisfy { $0["held"] as? Bool == true } == true)

        let bad = try await CLIRunner.run(["demo", "storm-0558", "--days", "1"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--days"))
    }
}
