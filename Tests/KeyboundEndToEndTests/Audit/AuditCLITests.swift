import ArgumentParser
import Foundation
import Testing
@testable import KeyboundAudit
@testable import keybound

/// `keybound audit …` parsed and run in-process (the subcommand is wired into the root command by
/// the lead; until then the binary cannot reach it).
@Suite("keybound audit: verify, prune, checkpoints")
struct AuditCLITests {
    static func command(_ arguments: [String]) throws -> ParsableCommand {
        try AuditCommand.parseAsRoot(arguments)
    }

    /// `text` parsed as one JSON object.
    static func json(_ text: String?) throws -> [String: Any] {
        let text = try #require(text)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func verify(_ arguments: [String]) async throws -> AuditOutcome {
        let parsed = try command(["verify"] + arguments)
        return try await #require(parsed as? AuditVerifyCommand).outcome()
    }

    @Test("verify: exit 0 when intact, 1 with the precise message when tampered, 2 (CLIError) with no log")
    func verifyExitCodes() async throws {
        let (directory, _) = try AuditFixture.log(count: 25)
        defer { AuditFixture.cleanUp(directory) }
        let intact = try await Self.verify(["--data", directory.path])
        #expect(intact.status == 0)
        #expect(intact.stdout?.hasPrefix("audit log intact: records 1 to 25") == true)
        #expect(intact.stderr == nil)

        let copy = try AuditFixture.tamperedCopy(of: directory) { db in
            try db.execute(sql: "UPDATE audit_record SET token_sub = 'someone-else' WHERE sequence = 14")
        }
        defer { AuditFixture.cleanUp(copy) }
        let tampered = try await Self.verify(["--data", copy.path])
        #expect(tampered.status == 1)
        #expect(tampered.stderr == "audit log tampered: record 14 was changed")
        #expect(tampered.stdout == nil)
        let json = try await Self.verify(["--data", copy.path, "--json"])
        #expect(json.status == 1)
        let object = try Self.json(json.stdout)
        #expect(object["intact"] as? Bool == false)
        #expect(object["error"] as? String == "record_changed")
        #expect(object["sequence"] as? Int == 14)
        #expect(object["message"] as? String == "record 14 was changed")

        await #expect(throws: CLIError.self) { try await Self.verify(["--data", directory.appendingPathComponent("missing").path]) }
        await #expect(throws: CLIError.self) { try await Self.verify(["--data", directory.path, "--anchor", "/nonexistent/anchor.json"]) }
        // A pinned key that is not the log's.
        let pinned = try await Self.verify(["--data", directory.path, "--key-id", "not-the-key"])
        #expect(pinned.status == 1 && pinned.stderr?.contains("checkpoint 1 is signed by key") == true)
    }

    @Test("prune --older-than removes whole old segments; verify stays intact; a bad duration is a usage error")
    func prune() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory, configuration: AuditConfiguration(checkpointInterval: 1_000))
        let old = AuditFixture.baseTime.addingTimeInterval(-200 * 86_400)
        try await log.appendAlone((1...1_500).map { AuditFixture.record($0, time: old.addingTimeInterval(Double($0))) })
        let now = String(Int(AuditFixture.baseTime.timeIntervalSince1970))
        let parsed = try Self.command(["prune", "--data", directory.path, "--now", now, "--json"])
        let outcome = try await #require(parsed as? AuditPruneCommand).outcome()
        #expect(outcome.status == 0)
        let object = try Self.json(outcome.stdout)
        #expect(object["segments_removed"] as? Int == 1 && object["records_removed"] as? Int == 1_000)
        #expect(try await log.records().first?.sequence == 1_001)
        #expect(try await Self.verify(["--data", directory.path]).status == 0)

        let nothing = try await #require(try Self.command(["prune", "--data", directory.path, "--older-than", "365d", "--now", now])
            as? AuditPruneCommand).outcome()
        #expect(nothing.stdout?.hasPrefix("nothing to prune") == true)
        #expect(throws: (any Error).self) { try Self.command(["prune", "--data", directory.path, "--older-than", "soon"]) }
        #expect(throws: (any Error).self) { try Self.command(["prune", "--data", directory.path, "--older-than", "-5d"]) }
    }

    @Test("checkpoints --seal --last exports an anchor that verify --anchor accepts, and catches a cut tail with")
    func anchorRoundTrip() async throws {
        let (directory, _) = try AuditFixture.log(count: 25)
        defer { AuditFixture.cleanUp(directory) }
        let parsed = try Self.command(["checkpoints", "--data", directory.path, "--seal", "--last"])
        let exported = try await #require(parsed as? AuditCheckpointsCommand).outcome()
        let anchorText = try #require(exported.stdout)
        #expect(anchorText.contains("\"last_sequence\":25"))
        let anchorFile = directory.deletingLastPathComponent().appendingPathComponent("anchor-\(UUID().uuidString).json")
        try Data(anchorText.utf8).write(to: anchorFile)
        defer { AuditFixture.cleanUp(anchorFile) }
        #expect(try await Self.verify(["--data", directory.path, "--anchor", anchorFile.path]).status == 0)

        let copy = try AuditFixture.tamperedCopy(of: directory) { db in
            try db.execute(sql: "DELETE FROM audit_checkpoint WHERE segment = 3")
            try db.execute(sql: "DELETE FROM audit_record WHERE sequence > 20")
        }
        defer { AuditFixture.cleanUp(copy) }
        #expect(try await Self.verify(["--data", copy.path]).status == 0)
        let cut = try await Self.verify(["--data", copy.path, "--anchor", anchorFile.path])
        #expect(cut.status == 1)
        #expect(cut.stderr?.contains("exported checkpoint 3 is missing from the log") == true)

        // prune and checkpoints never create a log where there is none.
        let empty = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(empty) }
        await #expect(throws: CLIError.self) {
            try await #require(try Self.command(["checkpoints", "--data", empty.path]) as? AuditCheckpointsCommand).outcome()
        }
        #expect(!FileManager.default.fileExists(atPath: empty.appendingPathComponent(AuditLog.fileName).path))
    }
}
