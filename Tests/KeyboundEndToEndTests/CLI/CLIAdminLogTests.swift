import Foundation
import KeyboundStore
import KeyboundTesting
import Testing

/// `keybound admin-log list | verify | head`: the operator reads the admin log, checks its chain,
/// and keeps its head outside the database as an anchor for later checks.
@Suite("CLI: admin-log")
struct CLIAdminLogTests {
    @Test("list shows the CLI's own changes; head prints an anchor that verify accepts; a mismatched anchor exits 1, a malformed one 2")
    func listVerifyHead() async throws {
        let data = try await CLIDirectoryTests.dataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        func keybound(_ arguments: [String]) async throws -> CLIRunner.Outcome { try await CLIDirectoryTests.keybound(arguments) }
        let rotated = try await keybound(["keys", "rotate", "--data", data.path, "--issuer", "contoso", "--actor", "ops-bob"])
        #expect(rotated.status == 0, "\(rotated.stderr)")

        let listed = try await keybound(["admin-log", "list", "--data", data.path, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let entries = try #require(listed.json?["entries"] as? [[String: Any]])
        #expect(entries.map { $0["action"] as? String } == ["issuer.create", "issuer.create", "key.rotate"])
        #expect((entries.last?["actor"] as? [String: Any])?["sub"] as? String == "ops-bob")
        let contoso = try await keybound(["admin-log", "list", "--data", data.path, "--issuer", "contoso"])
        #expect(contoso.status == 0 && contoso.stdout.split(separator: "\n").count == 2 && contoso.stdout.contains("key.rotate"), "\(contoso.stdout)")

        let head = try await keybound(["admin-log", "head", "--data", data.path])
        #expect(head.status == 0, "\(head.stderr)")
        let anchor = head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let stored = try #require(try SQLiteProviderStore(directory: data).adminLog(issuerID: nil, after: 2, limit: 1).first)
        #expect(anchor == "3:\(stored.hash)")

        let verified = try await keybound(["admin-log", "verify", "--data", data.path, "--anchor", anchor])
        #expect(verified.status == 0 && verified.stdout.contains("admin log intact: 3 entries") && verified.stdout.contains("1 anchor matched"),
                "\(verified.stdout) \(verified.stderr)")
        let other = anchor.hasSuffix("0") ? String(anchor.dropLast()) + "1" : String(anchor.dropLast()) + "0"
        let mismatched = try await keybound(["admin-log", "verify", "--data", data.path, "--anchor", other])
        #expect(mismatched.status == 1 && mismatched.stderr.contains("entry 3: its hash is not the anchor's"), "\(mismatched.stderr)")
        let ahead = try await keybound(["admin-log", "verify", "--data", data.path, "--anchor", "9:\(stored.hash)"])
        #expect(ahead.status == 1 && ahead.stderr.contains("cut back before this anchored entry"), "\(ahead.stderr)")
        let malformed = try await keybound(["admin-log", "verify", "--data", data.path, "--anchor", "three"])
        #expect(malformed.status == 2 && malformed.stderr.contains("--anchor must be N:HASH"), "\(malformed.stderr)")
        #expect(try await keybound(["admin-log", "list", "--data", data.path, "--limit", "0"]).status == 2)
    }
}
