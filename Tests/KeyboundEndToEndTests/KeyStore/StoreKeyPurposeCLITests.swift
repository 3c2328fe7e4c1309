import Foundation
import Keybound
import KeyboundStore
import Testing

/// `keybound keys list | status | rotate | revoke | tick` show and handle the key purpose.
@Suite("Key store CLI: key purposes")
struct StoreKeyPurposeCLITests {
    static func json(_ outcome: StoreCLI.Outcome) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any]
    }

    @Test("list and status show each key's purpose; rotate --purpose id-token publishes an ID-token key only; revoke replaces an ID-token key with one")
    func commands() async throws {
        let fixture = try await StoreFixture(issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let kekFile = try StoreCLI.writeKEKFile(fixture.kek.base64Text, near: fixture.directory)
        defer { try? FileManager.default.removeItem(atPath: kekFile) }
        let environment = ["KEYBOUND_KEK_FILE": kekFile]
        let now = "\(Int(StoreClock.at(StoreClock.hour).timeIntervalSince1970))"
        func run(_ arguments: [String]) async throws -> StoreCLI.Outcome {
            try await StoreCLI.run(arguments + ["--data", fixture.directory.path, "--now", now], environment: environment)
        }

        let table = try await run(["keys", "list"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("PURPOSE"))
        #expect(table.stdout.contains("access-token") && table.stdout.contains("id-token"))
        let listed = Self.json(try await run(["keys", "list", "--json"]))?["keys"] as? [[String: Any]] ?? []
        #expect(Set(listed.compactMap { $0["purpose"] as? String }) == ["access-token", "id-token"])
        let idKey = try #require(listed.first { $0["purpose"] as? String == "id-token" })
        #expect(idKey["alg"] as? String == "RS256")

        let status = try await run(["keys", "status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("id-token") && status.stdout.contains("RS256"))

        let rotated = try await run(["keys", "rotate", "--issuer", "consumers", "--purpose", "id-token", "--json"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let pending = Self.json(rotated)?["pending_keys"] as? [[String: Any]] ?? []
        #expect(pending.count == 1 && pending.first?["purpose"] as? String == "id-token")
        #expect(try await run(["keys", "rotate", "--issuer", "consumers", "--purpose", "refresh-token"]).status != 0)

        let kid = try #require(idKey["kid"] as? String)
        let revoked = try await run(["keys", "revoke", "--issuer", "consumers", "--kid=\(kid)", "--reason", "leaked", "--json"])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let answer = Self.json(revoked)
        #expect((answer?["revoked"] as? [String: Any])?["state"] as? String == "revoked")
        let active = answer?["active"] as? [String: Any]
        #expect(active?["purpose"] as? String == "id-token")
        #expect(active?["kid"] as? String != kid)
        // The pending ID-token key took over (a pending key of the purpose is promoted).
        #expect(active?["kid"] as? String == pending.first?["kid"] as? String)

        let tick = try await run(["keys", "tick"])
        #expect(tick.status == 0, "\(tick.stderr)")
    }
}
