import Foundation
import Keybound
import KeyboundAudit
import KeyboundStore
import Testing

/// `keybound incident respond|list|show` through the real binary (a debug build), killed midway
/// with the test hook `KEYBOUND_TEST_KILL_AFTER` and run again.
@Suite("Incident response: CLI")
struct IncidentCLITests {
    @Test("Killed after revoking the key, the rerun completes; list and show report it")
    func killAndResume() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-incident-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let kek = KeyEncryptionKey.generate()
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: kek)
        try await manager.createIssuer(IssuerRecord(id: "consumers", url: "https://id.test/consumers", kind: .consumer, algorithm: .es256, createdAt: Date()))
        let kid = try await #require(try manager.keys(issuerID: "consumers").first { $0.state == .active && $0.purpose == .accessToken }?.keyID)
        _ = try SQLiteProviderStore(directory: directory)
        _ = try AuditLog(directory: directory)
        let environment = ["KEYBOUND_KEK": kek.base64Text]
        let base = ["incident", "respond", "--data", directory.path, "--issuer", "consumers", "--kid=\(kid)", "--reason", "drill"]

        #if !DEBUG
        // A release build (`swift test -c release`) has no hook: it refuses to run while the variable is set.
        let refused = try await StoreCLI.run(base, environment: environment.merging(["KEYBOUND_TEST_KILL_AFTER": "revoke_key"]) { $1 })
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("test hook of debug builds"), "\(refused.stderr)")
        await #expect(try manager.keys(issuerID: "consumers").first { $0.keyID == kid }?.state == .active, "nothing was done")
        return
        #endif
        let killed = try await StoreCLI.run(base, environment: environment.merging(["KEYBOUND_TEST_KILL_AFTER": "revoke_key"]) { $1 })
        #expect(killed.status == 137)
        let open = try await StoreCLI.run(["incident", "list", "--data", directory.path], environment: environment)
        #expect(open.status == 0)
        #expect(open.stdout.contains("open at revoke_key"), "the kill came before the step was recorded: \(open.stdout)")

        let done = try await StoreCLI.run(base + ["--json"], environment: environment)
        #expect(done.status == 0, "\(done.stderr)")
        let object = try StrictJSONParser.parseObject(Array(done.stdout.utf8))
        #expect(object["closed"] == .bool(true))
        #expect(object["steps"]?.arrayValue?.count == 6)
        let id = try #require(object["id"]?.stringValue)
        await #expect(try manager.keys(issuerID: "consumers").first { $0.keyID == kid }?.state == .revoked)

        let show = try await StoreCLI.run(["incident", "show", "--data", directory.path, id], environment: environment)
        #expect(show.status == 0)
        #expect(show.stdout.contains("closed"))
        let missing = try await StoreCLI.run(["incident", "show", "--data", directory.path, "INC-nope"], environment: environment)
        #expect(missing.status == 2)
        let badStep = try await StoreCLI.run(base, environment: environment.merging(["KEYBOUND_TEST_KILL_AFTER": "lunch"]) { $1 })
        #expect(badStep.status == 2, "an unknown step is a usage error: \(badStep.stderr)")
        #expect(badStep.stderr.contains("KEYBOUND_TEST_KILL_AFTER must be one of"))
        let help = try await StoreCLI.run(["incident", "respond", "--help"], environment: environment)
        #expect(help.status == 0)
        #expect(!help.stdout.contains("kill"), "the hook is not an option of the command line")
    }
}
