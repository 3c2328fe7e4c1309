import Foundation
import Keybound
import KeyboundAudit
import KeyboundDrill
import KeyboundMail
import KeyboundStore
import Synchronization
import Testing
import KeyboundTesting

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
          .timeLimit(.minutes(10)))
    func endToEnd() async throws {
        let lines = Lines()
        var options = StormDrillOptions(days: 5)
        options.requestTimeout = .seconds(60)
        let result = try await StormDrill.run(options) { lines.append($0) }
        #expect(result.passed, "\(result.failures.map { "\($0.name): \($0.detail)" })")

        // A month (here 5 days) of ordinary traffic, all served, one rotation per issuer. Only the
        // enterprises run a daemon: per day 3 people, plus in an enterprise the daemon's token.
        #expect(result.traffic.count == 3)
        #expect(result.traffic.allSatisfy { $0.requestsServed > 0 && $0.requestsRefused == 0 })
        #expect(result.traffic.first { $0.tenant == "consumers" }?.tokensIssued == 5 * 3)
        #expect(result.traffic.first { $0.tenant == "fabrikam" }?.tokensIssued == 5 * 4)
        #expect(result.rotations == 3)

        // (a) Cross-issuer forgeries: refused everywhere with issuer_key_mismatch, each one alerted.
        let crossIssuer = result.attempts.filter { $0.token.hasPrefix("A") }
        #expect(crossIssuer.count == 12, "4 tokens, each to the three front ends")
        #expect(crossIssuer.allSatisfy { $0.status == 401 && $0.code == "issuer_key_mismatch" && $0.itemsRead == 0 })
        #expect(Set(crossIssuer.map(\.claimedIssuer)) == ["contoso", "fabrikam"])
        #expect(result.alerts["keybound_mail"]?["issuer_key_mismatch"] == 4)
        #expect(result.alerts["mail_edge"]?["issuer_key_mismatch"] == 4)
        #expect(result.alerts["legacy_validator"]?["issuer_key_mismatch"] == 4)

        // The same mistake one level up: consumer-issuer tokens with perfect signatures naming an
        // enterprise tenant's tid, for its audit feed, its executive's mail and a squatted mailbox:
        // refused with tenant_mismatch at every front end, and nothing of the enterprises reached.
        let crossing = result.attempts.filter { $0.token.hasPrefix("T") }
        #expect(crossing.count == 18, "3 tokens per enterprise, each to the three front ends")
        #expect(crossing.allSatisfy { $0.status == 401 && $0.code == "tenant_mismatch" && $0.itemsRead == 0 && $0.claimedIssuer == "consumers" })
        for frontEnd in ["keybound_mail", "mail_edge", "legacy_validator"] {
            #expect(Set(crossing.filter { $0.frontEnd == frontEnd }.map(\.path)) == [
                "/audit/records?limit=100", "/me/messages?$top=5",
                "/users/diego@contoso.example/messages?$top=5", "/users/nestor@fabrikam.example/messages?$top=5",
            ])
            #expect(Set(crossing.filter { $0.frontEnd == frontEnd }.map(\.claimedTenant)) == ["contoso", "fabrikam"])
        }
        let crossingVerdicts = result.verdicts.filter { $0.token.hasPrefix("T") }
        #expect(crossingVerdicts.count == 6)
        #expect(crossingVerdicts.allSatisfy { $0.kidOnlyAccepted && $0.keyboundSignatureCheck == "tenant_mismatch" })
        #expect(result.tenantBoundary.squattedMailboxes.isEmpty)
        #expect(result.tenantBoundary.attemptsInFeeds == ["contoso": 0, "fabrikam": 0])
        #expect(result.tenantBoundary.feedRecords["contoso"] ?? 0 > 0 && result.tenantBoundary.feedRecords["fabrikam"] ?? 0 > 0)
        #expect(result.tenantBoundary.tidOnlyFeedRecords["contoso"] ?? 0 >= result.tenantBoundary.feedRecords["contoso"] ?? 0,
                "a feed by tid alone holds at least the tenant's own records")

        // (b) Same-issuer forgeries: cryptographically valid, refused by the ledger check inside the
        // provider and by the issuance feed at the edge, in another process. The legacy validator,
        // its check skipped, serves the delegated ones (B1, B2) and refuses the application token
        // (B3): a consumer realm has no tenant-wide roles. The hunt finds them as forged tokens.
        let sameIssuer = result.verdicts.filter { $0.token.hasPrefix("B") }
        #expect(sameIssuer.count == 3)
        #expect(sameIssuer.allSatisfy { $0.keyboundSignatureCheck == "verified" })
        let consumer = result.attempts.filter { $0.token.hasPrefix("B") }
        #expect(consumer.filter { $0.frontEnd == "keybound_mail" }.allSatisfy { $0.code == "token_not_issued" })
        #expect(result.alerts["keybound_mail"]?["token_not_issued"] == 3)
        let atEdge = consumer.filter { $0.frontEnd == "mail_edge" }
        #expect(atEdge.map(\.token) == ["B1", "B2", "B3"] && atEdge.allSatisfy { $0.status == 401 && $0.code == "token_not_issued" })
        #expect(result.alerts["mail_edge"]?["token_not_issued"] == 3)
        let atLegacy = consumer.filter { $0.frontEnd == "legacy_validator" }
        let served = atLegacy.filter(\.served)
        #expect(served.map(\.token) == ["B1", "B2"] && served.allSatisfy { $0.itemsRead > 0 })
        #expect(atLegacy.filter { !$0.served }.map { "\($0.token) \($0.status) \($0.code ?? "-")" } == ["B3 403 consumer_realm_role"])
        #expect(Set(served.map(\.tokenID)).isSubset(of: Set(result.forgedTokenIDs)), "every served forgery is a forged-token finding")
        #expect(Set(consumer.map(\.tokenID)).isSubset(of: Set(result.forgedTokenIDs)), "every consumer forgery is a forged-token finding")
        #expect(result.findings["forged_token"] == 8, "3 refusals each at Keybound Mail and the edge, 2 served at the legacy validator")
        #expect(result.findings["cross_issuer_key"] == 12)
        #expect(Set(crossIssuer.map(\.tokenID)).isSubset(of: Set(result.crossIssuerTokenIDs)))
        #expect(result.falsePositives == 0)

        // (c) The kid-only validator accepts every attacker token.
        #expect(result.verdicts.count == 13)
        #expect(result.verdicts.allSatisfy { $0.kidOnlyAccepted })
        #expect(result.verdicts.allSatisfy { $0.keyboundMail != "served" && $0.mailEdge != "served" })

        // First-time access: the legitimately new application is a lead, not a finding.
        #expect(result.leads.contains { $0.clientID == "contoso-archiver" && !$0.isAttacker })
        #expect(result.leads.filter { !$0.isAttacker }.count == 1, "\(result.leads.map(\.clientID))")

        // The response.
        let incident = result.incident
        #expect(incident.closed)
        #expect(incident.steps == ["revoke_key", "activate_fresh_key", "revoke_tokens", "hunt", "write_notices", "close"])
        // A notice goes wherever verified records show the attacker reached or targeted: the consumer
        // realm, whose mail the legacy validator served. Refused tokens naming contoso or fabrikam prove nothing.
        #expect(incident.mustNotify == ["consumers"])
        #expect(incident.notices.keys.contains("consumers"))
        #expect(incident.notices.values.allSatisfy { $0.count == 2 }, "Markdown and JSON")
        #expect(incident.containmentSeconds == Double(35 * 60), "first malicious request at 01:00, revocation at 01:35 (simulated)")
        #expect(incident.freshKeyID != nil && incident.freshKeyID != result.stolenKeyID)
        #expect((incident.edgePropagationSeconds ?? 99) < 5)
        #expect(result.dataDirectory == nil)
        #expect(!FileManager.default.fileExists(atPath: incident.folder), "the temporary directory is removed")

        // Afterwards: legitimate tokens work, the stolen key does not.
        #expect(result.aftermath.allSatisfy { $0.peopleServed == $0.people })
        #expect(result.aftermath.filter { $0.tenant != "consumers" }.allSatisfy { $0.applicationWorks == true })
        #expect(result.aftermath.first { $0.tenant == "consumers" }.map { $0.applicationWorks == nil && $0.applicationAnswer == "none" } == true)
        #expect(result.aftermath.filter { $0.tenant != "consumers" }.allSatisfy { $0.peopleSignedInAgain == 0 })
        let after = result.attempts.filter { $0.token == "C1" }
        #expect(after.count == 3 && after.allSatisfy { $0.status == 401 && $0.code == "key_revoked" })

        // The report a newcomer reads.
        let report = lines.all
        #expect(report.count < 165, "\(report.count) lines")
        // Paragraphs wrap at 100 columns: match phrases on the text with its lines joined.
        let text = report.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        for phrase in ["What a kid-only validator would have accepted", "ACCEPTED", "issuer_key_mismatch", "token_not_issued",
                       "Act 4. The same mistake one level up", "tenant_mismatch", "consumer_realm_role", "a tenant is (issuer, tid)",
                       "lead", "Containment: 35 min", "notices written for: consumers", "key_revoked", "n/a (none)",
                       "Result: all \(result.expectations.count) expectations held"] {
            #expect(text.contains(phrase), "\(phrase)")
        }
    }

    @Test("keybound demo storm-0558 --days 3 --keep DIR: exit 0, a readable report, the notices where it says; migrated to PostgreSQL, every row and a log that verifies")
    func command() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kept = directory.appendingPathComponent("drill")
        let outcome = try await CLIRunner.run(["demo", "storm-0558", "--days", "3", "--keep", kept.path])
        #expect(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        for phrase in ["Storm-0558 drill", "Act 3. Forged enterprise tokens", "ACCEPTED", "issuer_key_mismatch", "tenant_mismatch",
                       "token_not_issued", "served (5 messages)", "Containment:", "Incident: \(kept.path)/incidents/INC-",
                       "key_revoked", "Result: all"] {
            #expect(outcome.stdout.contains(phrase), "\(phrase)")
        }
        let incidents = try FileManager.default.contentsOfDirectory(atPath: kept.appendingPathComponent("incidents").path)
        let incident = try #require(incidents.first)
        let notices = try FileManager.default.contentsOfDirectory(
            atPath: kept.appendingPathComponent("incidents/\(incident)/notices").path)
        #expect(notices.contains("\(IssuerRecord.wellKnownConsumerTenantID).md"), "the consumer realm's notice: \(notices)")
        #expect(notices.count { $0.hasSuffix(".md") } == notices.count { $0.hasSuffix(".json") }, "\(notices)")
        #expect(FileManager.default.fileExists(atPath: kept.appendingPathComponent("audit.sqlite").path))

        // The stores themselves: the 9 people's mailboxes and no other (no mailbox squatted by a
        // consumer token naming an enterprise tid), one (issuer, tid) per issuer, and every record
        // of an enterprise's own feed made with a token of that enterprise's issuer.
        let mailboxes = try await MailStore(directory: kept).allMailboxes()
        #expect(mailboxes.count == 9, "\(mailboxes.map(\.address))")
        let tenants = Dictionary(grouping: mailboxes, by: \.tenant)
        #expect(tenants.count == 3 && Set(tenants.keys.map(\.issuer)).count == 3)
        let audit = try AuditLog(directory: kept)
        for tenant in tenants.keys where !tenant.tenantID.isExactly(IssuerRecord.wellKnownConsumerTenantID) {
            let feed = try await audit.records(of: tenant, limit: 100_000)
            #expect(!feed.isEmpty)
            #expect(feed.allSatisfy { $0.tokenIssuer?.isExactly(tenant.issuer) == true }, "\(tenant)")
        }

        // The drill's data moved to PostgreSQL with keybound migrate: every store's rows, and a log that verifies there.
        let records = try await audit.lastSequence()
        let checkpoints = try await audit.checkpoints().count
        let database = try await TestPostgres.shared.makeDatabase("drill_migrate")
        let url = database.nodeURL
        let environment = CLIServer.environment(database.environment.merging(
            ["KEYBOUND_KEK_FILE": KEKSource.developmentFile(in: kept).path]) { _, new in new })
        let migrated = try await CLIRunner.run(["migrate", "--from", "sqlite:\(kept.path)", "--to", url, "--json"], environment: environment)
        try #require(migrated.status == 0, "\(migrated.stderr)")
        let copied = try #require(try StrictJSONParser.parseObject(Array(migrated.stdout.utf8))["copied"]?.objectValue)
        #expect(copied["audit_record"] == .number(Double(records)) && records > 0, "\(copied)")
        #expect(copied["audit_checkpoint"] == .number(Double(checkpoints)) && checkpoints > 0)
        #expect(copied["mailbox"] == .number(9))
        #expect(copied["incident"] == .number(1))
        #expect(copied["incident_document"] == .number(Double(notices.count + 5)), "timeline, summary, affected, hunt.md, hunt.json and the notices")
        let verified = try await CLIRunner.run(["audit", "verify", "--database", url, "--json"], environment: environment)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try StrictJSONParser.parseObject(Array(verified.stdout.utf8))["records_checked"] == .number(Double(records)))
        let listed = try await CLIRunner.run(["incident", "list", "--database", url], environment: environment)
        #expect(listed.stdout.contains(incident) && listed.stdout.contains("closed"), "\(listed.stdout)")
    }

    @Test("keybound demo storm-0558 --database postgres://…: every claim holds with the stores in PostgreSQL, whose audit log verifies and which keeps the incident",
          .timeLimit(.minutes(10)))
    func onPostgres() async throws {
        let database = try await TestPostgres.shared.makeDatabase("drill")
        let url = database.nodeURL
        let environment = CLIServer.environment(database.environment.merging(["KEYBOUND_KEK": KeyEncryptionKey.generate().base64Text]) { _, new in new })
        let outcome = try await CLIRunner.run(["demo", "storm-0558", "--days", "3", "--database", url, "--json"], environment: environment)
        #expect(outcome.status == 0, "\(outcome.stdout.suffix(2_000))\n\(outcome.stderr)")
        let result = try StrictJSONParser.parseObject(Array(outcome.stdout.utf8))
        #expect(result["passed"] == .bool(true), "\(result["failures"].map { "\($0)" } ?? "")")
        let incident = try #require(result["incident"]?.objectValue)
        #expect(incident["closed"] == .bool(true))
        let id = try #require(incident["id"]?.stringValue)
        #expect(incident["folder"]?.stringValue?.contains("\(id) in postgres://") == true, "the incident is in the database: \(incident)")
        // The database holds what the drill did: a log that verifies, and the incident with its notices.
        let verified = try await CLIRunner.run(["audit", "verify", "--database", url, "--json"], environment: environment)
        #expect(verified.status == 0, "\(verified.stderr)")
        let checked = try StrictJSONParser.parseObject(Array(verified.stdout.utf8))["records_checked"]?.numberValue ?? 0
        #expect(checked > 30, "every request of the drill is in the log: \(verified.stdout)")
        let shown = try await CLIRunner.run(["incident", "show", id, "--database", url], environment: environment)
        #expect(shown.stdout.contains("closed") && shown.stdout.contains("notices/\(IssuerRecord.wellKnownConsumerTenantID).md"), "\(shown.stdout)")
        // A second drill refuses the database it already filled.
        let again = try await CLIRunner.run(["demo", "storm-0558", "--days", "3", "--database", url], environment: environment)
        #expect(again.status == 2 && again.stderr.contains("needs an empty database"), "\(again.stderr)")
    }

    @Test("--json prints the structured result; a bad --days is a usage error")
    func json() async throws {
        let outcome = try await CLIRunner.run(["demo", "storm-0558", "--days", "3", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let json = try #require(outcome.json)
        #expect(json["passed"] as? Bool == true)
        #expect((json["verdicts"] as? [[String: Any]])?.count == 13)
        let boundary = try #require(json["tenant_boundary"] as? [String: Any])
        #expect((boundary["squatted_mailboxes"] as? [Any])?.isEmpty == true)
        #expect((boundary["attempts_in_feeds"] as? [String: Int]) == ["contoso": 0, "fabrikam": 0])
        #expect((json["expectations"] as? [[String: Any]])?.allSatisfy { $0["held"] as? Bool == true } == true)

        let bad = try await CLIRunner.run(["demo", "storm-0558", "--days", "1"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--days"))
    }
}
