import Foundation
import Keybound
import KeyboundAudit
import KeyboundHunt
import KeyboundStore
import Testing

/// The hunt over a seeded month of legitimate and malicious activity (``HuntScenario``): every
/// malicious record is found, nothing legitimate is, except what a rule flags by design.
@Suite("Hunt: rules over a seeded ledger and audit log")
struct HuntRuleTests {
    @Test("every malicious record is found, with the right kind, and nothing else is flagged except by design")
    func findsEveryMaliciousItem() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let report = try await Hunt.run(try scenario.configuration())
        let found = Set(report.findings.map { HuntScenario.Expected(kind: $0.kind, sequence: $0.record.sequence) })
        // No false negatives …
        #expect(scenario.malicious.subtracting(found).isEmpty, "missed: \(scenario.malicious.subtracting(found))")
        // … and no false positives: the only legitimate record flagged is the one rule 3 flags by
        // design (a genuinely issued token of the revoked key, presented by its own client).
        #expect(found.subtracting(scenario.expectedFindings).isEmpty, "false positives: \(found.subtracting(scenario.expectedFindings))")
        #expect(found == scenario.expectedFindings)
        #expect(report.maliciousCount == scenario.expectedFindings.count)
        #expect(report.isMalicious)
        #expect(!report.findingsTruncated)
        // Every finding's record is the stored one.
        for finding in report.findings { #expect(finding.record.sequence > 0 && !finding.record.hash.isEmpty) }
    }

    @Test("forged tokens: a valid key of its own issuer, not in the ledger — accepted or refused by the ledger check — and altered claims")
    func forgedTokens() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let report = try await Hunt.run(try scenario.configuration())
        let forged = report.findings.filter { $0.kind == .forgedToken }
        #expect(forged.count == scenario.malicious.filter { $0.kind == .forgedToken }.count)
        // Signed with the consumer realm's own active key (the signature alone cannot tell).
        #expect(forged.allSatisfy { $0.record.tokenKeyID == scenario.stolenKeyID })
        #expect(forged.contains { $0.accepted && $0.reasonCode == "not_issued" && $0.claimedIssuerID == "consumers" })
        #expect(forged.contains { !$0.accepted && $0.record.rejectionCode == "token_not_issued" && $0.reasonCode == "not_issued" })
        let altered = try #require(forged.first { $0.reasonCode == "claims_differ" })
        #expect(altered.record.tokenScope == "Mail.Read Mail.Send" && altered.record.clientID == "outlook-web")
        #expect(altered.reason.contains("issued to outlook-web"))
        #expect(forged.allSatisfy { $0.tokenInLedger == false })
    }

    @Test("cross-issuer keys: issuer_key_mismatch refusals and the one a kid-only validator accepted name the real owner")
    func crossIssuer() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let report = try await Hunt.run(try scenario.configuration())
        let cross = report.findings.filter { $0.kind == .crossIssuerKey }
        #expect(cross.count == 3)
        #expect(cross.allSatisfy { $0.claimedIssuerID == "contoso" && $0.keyOwnerIssuerIDs == ["consumers"] })
        #expect(cross.filter(\.accepted).map(\.reasonCode) == ["accepted_with_foreign_key"])
        #expect(cross.filter { !$0.accepted }.allSatisfy { $0.reasonCode == "issuer_key_mismatch" })
        #expect(report.count(.crossIssuer) == 3)
    }

    @Test("revoked and inactive keys: refusals, a lagging validator's acceptance, and the genuine token flagged by design")
    func revokedAndInactiveKeys() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let report = try await Hunt.run(try scenario.configuration())
        let revoked = report.findings.filter { $0.kind == .revokedKeyUse }
        #expect(revoked.count == 3)
        // By design: the genuine token (in the ledger) is still reported, and marked as genuine.
        let genuine = try #require(revoked.first { $0.tokenInLedger == true })
        #expect(scenario.flaggedByDesign.contains(HuntScenario.Expected(kind: .revokedKeyUse, sequence: genuine.record.sequence)))
        #expect(genuine.reason.contains("genuinely issued"))
        #expect(revoked.filter { $0.tokenInLedger == false }.count == 2)
        let accepted = try #require(report.findings.first { $0.kind == .revokedKeyAccepted })
        #expect(accepted.accepted && accepted.keyState == "revoked" && accepted.keyRevokedAt == scenario.revokedAt)
        #expect(accepted.reason.contains("ACCEPTED"))
        // The key directory knows what the key signed: the stolen key is the realm's access-token key.
        #expect(revoked.allSatisfy { $0.keyPurpose == KeyPurpose.accessToken.rawValue } && accepted.keyPurpose == "access-token")
        let findingsJSON = report.jsonObject["findings"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(findingsJSON.contains { $0["key_purpose"] == .string("access-token") })
        let inactive = try #require(report.findings.first { $0.kind == .inactiveKeyUse })
        #expect(inactive.tokenInLedger == false && inactive.record.clientIP == HuntScenario.attackerIP)
        // A normal rotation's expired token of a retired key is counted, not flagged.
        #expect(report.scan.staleTokensOnInactiveKeys == 1)
        #expect(report.notes.contains { $0.contains("key_not_active refusals were genuinely issued tokens") })
    }

    @Test("first-time access: leads (not verdicts) for the new application and the monthly job by design, and for the attacker's application")
    func firstTimeAccess() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let report = try await Hunt.run(try scenario.configuration())
        let leads = Set(report.leads.map(\.record.sequence))
        #expect(leads == Set(scenario.legitimateLeads.keys).union(scenario.attackLeads))
        #expect(report.leadCount == leads.count)
        let backup = try #require(report.leads.first { $0.clientID == "backup-app" })
        #expect(backup.mailbox == "adele@contoso.example" && backup.previousAccess == nil)
        let monthly = try #require(report.leads.first { $0.clientID == "quarterly-report" })
        #expect(monthly.previousAccess.map { monthly.record.time.timeIntervalSince($0) > 30 * 86_400 } == true)
        // Pairs first seen before the log covers a whole look-back window are not "new".
        #expect(!report.leads.contains { $0.clientID == "partner-app" || $0.clientID == "contoso-daemon" })
        // Leads never make a hunt malicious: without the attack's window it is clean, leads and all.
        let quiet = try await Hunt.run(try scenario.configuration(until: HuntScenario.day(50)))
        #expect(!quiet.isMalicious && quiet.maliciousCount == 0)
        #expect(Set(quiet.leads.map(\.clientID)) == ["quarterly-report", "backup-app"])
    }

    @Test("a shorter look-back finds more leads; a longer one fewer; a window limits findings but not the look-back")
    func lookbackAndWindow() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        var long = try scenario.configuration()
        long.lookback = 45 * 86_400
        let longReport = try await Hunt.run(long)
        #expect(!longReport.leads.contains { $0.clientID == "quarterly-report" })
        let window = try await Hunt.run(try scenario.configuration(since: HuntScenario.day(55), until: HuntScenario.day(56)))
        #expect(window.findings.allSatisfy { $0.record.time >= HuntScenario.day(55) && $0.record.time <= HuntScenario.day(56) })
        #expect(window.count(.forgedToken) == 5 && window.count(.revokedOrInactiveKey) == 1)
        #expect(window.scan.recordsScanned == scenario.recordCount)
        #expect(window.scan.recordsInWindow < scenario.recordCount)
        // The attacker's application is still new inside the window: the look-back read the earlier records.
        #expect(window.leads.contains { $0.clientID == "attacker-app" })
    }

    @Test("key use: every record naming the stolen key, first and last seen, per tenant, mailbox, claimed issuer and client")
    func keyUse() async throws {
        let scenario = try await HuntScenario()
        defer { scenario.remove() }
        let selector = HuntConfiguration.KeySelector(issuer: scenario.url("consumers"), keyID: scenario.stolenKeyID)
        let report = try await Hunt.run(try scenario.configuration(key: selector))
        let use = try #require(report.keyUse)
        let expected = try #require(scenario.recordsByKeyID[scenario.stolenKeyID])
        #expect(use.issuerID == "consumers" && use.keyState == "revoked" && use.keyRevokedAt == scenario.revokedAt)
        #expect(use.total.total == expected.count)
        #expect(use.total.allowed == expected.filter { $0.verdict == .allowed }.count)
        #expect(use.total.firstSeen == expected.map(\.time).min() && use.total.lastSeen == expected.map(\.time).max())
        // The forged enterprise tokens named the key under contoso's issuer URL.
        let contoso = try #require(use.byClaimedIssuer.first { $0.name == scenario.url("contoso") })
        #expect(contoso.tally.total == 3 && contoso.tally.allowed == 1)
        let bob = try #require(use.byMailbox.first { $0.mailbox == "bob@consumers.example" })
        #expect(bob.itemIDs == ["bob-1", "bob-2"] && bob.tally.allowed == 1 && bob.tally.denied == 2)
        // A tenant is (issuer, tid); what refused tokens only claimed is grouped apart from verified access.
        let consumers = "\(HuntScenario.tenants["consumers"]!) of \(scenario.url("consumers"))"
        let contosoTenant = "contoso-tid of \(scenario.url("contoso"))"
        let claimed = " (claimed by refused tokens)"
        #expect(Set(use.byTenant.compactMap(\.name)) == [consumers, consumers + claimed, contosoTenant, contosoTenant + claimed])
        #expect(use.byTenant.first { $0.name == consumers + claimed }?.tally.allowed == 0)
        #expect(use.byClient.contains { $0.name?.hasPrefix("attacker-app") == true })
        #expect(use.byRejectionCode.contains { $0.name == "issuer_key_mismatch" && $0.tally.denied == 2 })
        // The same key given by issuer id.
        let byID = try await Hunt.run(try scenario.configuration(key: .init(issuer: "consumers", keyID: scenario.stolenKeyID)))
        #expect(byID.keyUse?.total == use.total)
    }

    @Test("a hunt of an empty log is clean; a missing audit log or ledger is an error, and the hunt never creates one")
    func emptyAndMissing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-hunt-empty-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try SQLiteKeyStore(directory: directory)
        let ledger = try SQLiteProviderStore(directory: directory)
        let missing = HuntConfiguration(auditDirectory: directory, keyStore: keys, ledger: ledger)
        await #expect(throws: HuntError.self) { try await Hunt.run(missing) }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(AuditLog.fileName).path))
        _ = try AuditLog(directory: directory)
        let report = try await Hunt.run(missing)
        #expect(!report.isMalicious && report.scan.recordsScanned == 0 && report.leads.isEmpty)
        var inverted = missing
        inverted.since = Date(timeIntervalSince1970: 2_000)
        inverted.until = Date(timeIntervalSince1970: 1_000)
        await #expect(throws: HuntError.self) { try await Hunt.run(inverted) }
    }
}
