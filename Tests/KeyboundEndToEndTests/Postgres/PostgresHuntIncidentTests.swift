import Dispatch
import Foundation
@testable import Keybound
@testable import KeyboundAudit
@testable import KeyboundHunt
@testable import KeyboundIncident
import KeyboundFiles
@testable import KeyboundMail
@testable import KeyboundPostgres
@testable import KeyboundStore
import PostgresNIO
import Testing
import KeyboundTesting

/// A data directory moved to PostgreSQL with `keybound migrate` (its audit log, audit key, mail and
/// incidents too), then the tools an operator runs there: `audit verify`, the hunt and
/// `keybound incident respond|list|show|export`, which read and write through the database.
@Suite("PostgreSQL: migrate the audit log, mail and incidents; verify, hunt and respond there", .serialized, .timeLimit(.minutes(10)))
struct PostgresHuntIncidentTests {
    @Test("the migrated log verifies; the hunt finds on PostgreSQL exactly what it finds on SQLite; an incident runs there; a changed record is named")
    func migrateHuntRespond() async throws {
        let kek = KeyEncryptionKey.generate()
        let scenario = try await HuntScenario(kek: kek)
        defer { scenario.remove() }
        let consumersURL = scenario.url("consumers"), stolenKeyID = scenario.stolenKeyID
        let onSQLite = try await Hunt.run(try scenario.configuration())
        let traced = try await Hunt.run(try scenario.configuration(key: .init(issuer: scenario.url("consumers"), keyID: scenario.stolenKeyID)))
        _ = try await scenario.audit.checkpoint(now: HuntScenario.day(HuntScenario.days))
        let checkpoints = try await scenario.audit.checkpoints().count
        // Mail and an earlier incident (of another issuer's key) in the directory as well.
        let contosoKeys = try await scenario.manager.keys(issuerID: "contoso")
        let contosoKey = try #require(contosoKeys.first)
        _ = try MailStore(directory: scenario.directory).provisionNow(
            Mailbox(issuer: scenario.url("contoso"), tenantID: "contoso-tid", subject: "megan", address: "megan@contoso.example",
                    displayName: "Megan", createdAt: HuntScenario.day(0)),
            messages: [MailMessage(id: "m-1", mailbox: "megan@contoso.example", folder: .inbox, from: "a@b.example", to: ["megan@contoso.example"],
                                   subject: "Hello", body: "Hi", receivedAt: HuntScenario.day(1))])
        // And a drive with two files (one binary), so files.sqlite must travel too.
        let files = try FileStore(directory: scenario.directory)
        for (name, content) in [("notes.txt", Array("hello".utf8)), ("blob.bin", [0, 255, 1, 254])] {
            _ = try await files.write(DriveFile(issuer: scenario.url("contoso"), tenantID: "contoso-tid", owner: "megan", name: name,
                                                contentType: "application/octet-stream", content: content, modifiedAt: HuntScenario.day(1)),
                                      maximumFiles: 10)
        }
        let earlier = FolderIncidentStore(dataDirectory: scenario.directory)
        let opened = try await earlier.open(IncidentRecord(id: "INC-20270115-contoso-earlier", issuerID: "contoso", issuerURL: scenario.url("contoso"),
                                                           keyID: contosoKey.keyID, reason: "drill", openedAt: HuntScenario.day(2), completed: []))
        try await earlier.write("# timeline\n", named: "timeline.md", incidentID: opened.id)

        let database = try await TestPostgres.shared.makeDatabase("hunt")
        let environment = CLIServer.environment(database.environment.merging(["KEYBOUND_KEK": kek.base64Text]) { _, new in new })
        let url = database.nodeURL
        let migrated = try await CLIRunner.run(["migrate", "--from", "sqlite:\(scenario.directory.path)", "--to", url, "--json"],
                                               environment: environment)
        try #require(migrated.status == 0, "\(migrated.stderr)")
        let copied = try #require(try StrictJSONParser.parseObject(Array(migrated.stdout.utf8))["copied"]?.objectValue)
        #expect(copied["audit_record"] == .number(Double(scenario.recordCount)))
        #expect(copied["audit_checkpoint"] == .number(Double(checkpoints)))
        #expect(copied["sealed secret audit-signing-key"] == .number(1))
        #expect(copied["mailbox"] == .number(1) && copied["mail_message"] == .number(1))
        #expect(copied["incident"] == .number(1) && copied["incident_document"] == .number(1))
        #expect(copied["drive_file"] == .number(2))
        let megan = DriveOwner(issuer: scenario.url("contoso"), tenantID: "contoso-tid", subject: "megan")
        let (blob, names) = try await database.withRunning { backend in
            let copiedFiles = try await FileStore.open(database: backend)
            return (try await copiedFiles.file("blob.bin", of: megan)?.content, try await copiedFiles.files(of: megan).map(\.name))
        }
        #expect(blob == [0, 255, 1, 254])
        #expect(names == ["blob.bin", "notes.txt"])

        // The copy verifies, with no KEK (public keys only), as the file did.
        let noKEK = CLIServer.environment(database.environment)
        let verified = try await CLIRunner.run(["audit", "verify", "--database", url, "--json"], environment: noKEK)
        #expect(verified.status == 0, "\(verified.stderr)")
        let report = try StrictJSONParser.parseObject(Array(verified.stdout.utf8))
        #expect(report["records_checked"] == .number(Double(scenario.recordCount)), "\(verified.stdout)")

        // The hunt through the storage protocols finds what the SQLite fast path finds.
        let (onPostgres, tracedOnPostgres) = try await database.withRunning { db in
            let audit = try await AuditLog.openForReading(database: db)
            func configuration(_ key: HuntConfiguration.KeySelector?) -> HuntConfiguration {
                HuntConfiguration(audit: .log(audit), keyStore: PostgresKeyStore(database: db), ledger: PostgresProviderStore(database: db),
                                  key: key, now: HuntScenario.day(HuntScenario.days))
            }
            return (try await Hunt.run(configuration(nil)),
                    try await Hunt.run(configuration(.init(issuer: consumersURL, keyID: stolenKeyID))))
        }
        func findings(_ report: HuntReport) -> [String] { report.findings.map { "\($0.kind.rawValue)#\($0.record.sequence) \($0.reasonCode)" } }
        #expect(!onSQLite.findings.isEmpty)
        #expect(findings(onPostgres) == findings(onSQLite))
        #expect(onPostgres.findings.map(\.record) == onSQLite.findings.map(\.record), "the same records, field for field")
        #expect(onPostgres.leads.map(\.record.sequence) == onSQLite.leads.map(\.record.sequence))
        #expect(onPostgres.scan.recordsScanned == onSQLite.scan.recordsScanned && onPostgres.scan.ledgerTokens == onSQLite.scan.ledgerTokens)
        #expect(traced.keyUse != nil)
        #expect(tracedOnPostgres.jsonObject["key_use"] == traced.jsonObject["key_use"], "every use of the stolen key, grouped alike")
        let hunted = try await CLIRunner.run(["hunt", "--database", url, "--format", "json"], environment: noKEK)
        #expect(hunted.status == 1, "malicious activity found: exit 1; \(hunted.stderr)")

        // An incident on PostgreSQL: the key revoked there, its documents in the database.
        let now = "\(Int(HuntScenario.day(HuntScenario.days).timeIntervalSince1970))"
        let responded = try await CLIRunner.run(["incident", "respond", "--database", url, "--issuer", "consumers", "--kid=\(scenario.stolenKeyID)",
                                                 "--reason", "consumer key stolen", "--now", now, "--json"], environment: environment)
        try #require(responded.status == 0, "\(responded.stderr)")
        let incident = try StrictJSONParser.parseObject(Array(responded.stdout.utf8))
        #expect(incident["closed"] == .bool(true))
        let documentValues = try #require(incident["documents"]?.arrayValue)
        let documents = documentValues.compactMap { $0.stringValue }
        #expect(Set(["hunt.md", "hunt.json", "timeline.md", "summary.json", "affected.md"]).isSubset(of: Set(documents)), "\(documents)")
        let id = try #require(incident["id"]?.stringValue)
        try await database.withRunning { db in
            let keys = try await PostgresKeyStore(database: db).read { session in try await session.keys(issuerID: "consumers") }
            #expect(keys.first { $0.keyID == stolenKeyID }?.state == .revoked)
        }
        let listed = try await CLIRunner.run(["incident", "list", "--database", url], environment: noKEK)
        #expect(listed.stdout.contains(id) && listed.stdout.contains(opened.id), "\(listed.stdout)")
        let timeline = try await CLIRunner.run(["incident", "show", id, "--database", url, "--document", "timeline.md"], environment: noKEK)
        #expect(timeline.status == 0 && timeline.stdout.contains("# Incident \(id): timeline"), "\(timeline.stdout)\(timeline.stderr)")
        let again = try await CLIRunner.run(["incident", "respond", "--database", url, "--issuer", "consumers", "--kid=\(scenario.stolenKeyID)",
                                             "--reason", "consumer key stolen", "--now", now, "--json"], environment: environment)
        #expect(try StrictJSONParser.parseObject(Array(again.stdout.utf8))["id"] == .string(id), "a second run resumes the same incident")
        let exportRoot = scenario.directory.appendingPathComponent("export")
        let exported = try await CLIRunner.run(["incident", "export", id, "--database", url, "--to", exportRoot.path], environment: noKEK)
        #expect(exported.status == 0, "\(exported.stderr)")
        for name in ["incident.json", "hunt.md", "timeline.md"] {
            #expect(FileManager.default.fileExists(atPath: exportRoot.appendingPathComponent(id).appendingPathComponent(name).path), "\(name)")
        }

        // Someone with the database's superuser edits a record behind the triggers: verify names it.
        try await database.withRunning { db in
            _ = try await db.withConnection { connection in
                try await connection.query("ALTER TABLE audit_record DISABLE TRIGGER USER", logger: TestPostgres.logger)
                try await connection.query("UPDATE audit_record SET mailbox = 'someone-else@contoso.example' WHERE sequence = 5",
                                           logger: TestPostgres.logger)
            }
        }
        let tampered = try await CLIRunner.run(["audit", "verify", "--database", url], environment: noKEK)
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("record 5 was changed"), "\(tampered.stderr)")
    }

    @Test("audit verify on PostgreSQL walks one snapshot: records appended during the walk are not half-seen, and the next walk checks them")
    func verifyWalksOneSnapshot() async throws {
        let fixture = try await StoreFixture(.postgres)
        defer { fixture.remove() }
        let database = try #require(fixture.postgresDatabase)
        let log = try await AuditStorageFixture.openLog(fixture)
        for batch in 0..<5 { _ = try await log.appendAlone((0..<500).map { AuditFixture.record(batch * 500 + $0) }) }
        // The walk runs as in production, on a thread of its own that waits for the database. Its
        // snapshot starts with its first read; more than a page (2,000) remains to read after it.
        let walk: Result<(missing: String?, sequences: [Int64?]), any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result {
                    let source = PostgresVerificationSource(database: database)
                    defer { source.close() }
                    let missing = try source.missingTable()
                    var sequences: [Int64?] = []
                    while let row = try source.nextRecord() {
                        sequences.append(row.sequence)
                        if sequences.count == 1 {
                            // Another writer appends meanwhile; the walk waits for it to commit.
                            let appended = DispatchSemaphore(value: 0)
                            Task {
                                _ = try? await log.appendAlone((0..<300).map { AuditFixture.record(10_000 + $0) })
                                appended.signal()
                            }
                            appended.wait()
                        }
                    }
                    return (missing, sequences)
                })
            }
        }
        let (missing, sequences) = try walk.get()
        #expect(missing == nil)
        #expect(sequences == (1...2_500).map { Optional(Int64($0)) }, "every record of the snapshot, in order")
        let walked = sequences.count
        #expect(walked == 2_500, "the walk saw its snapshot, not the 300 appended during it")
        let report = try await AuditVerifier.verify(database: database)
        #expect(report.problem == nil && report.recordsChecked == 2_800, "\(report.summary)")
    }
}
