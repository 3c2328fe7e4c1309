import Foundation
import Keybound
import KeyboundStore
import KeyboundPostgres
import Testing
import KeyboundTesting

/// The key commands on PostgreSQL: `keybound issuer` and `keybound keys` with `--database postgres://…`
/// work on the shared key store; the commands whose stores are still SQLite-only refuse it in one line.
@Suite("PostgreSQL: the key commands", .timeLimit(.minutes(10)))
struct PostgresKeyCommandsTests {
    @Test("issuer create, keys rotate, keys revoke and keys list on PostgreSQL; every node sees the same keys")
    func keyCommands() async throws {
        let database = try await TestPostgres.shared.makeDatabase("key_commands")
        let url = database.nodeURL
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kek = KeyEncryptionKey.generate()
        let kekFile = directory.appendingPathComponent("keybound.kek")
        try Data((kek.base64Text + "\n").utf8).write(to: kekFile)
        let environment = CLIServer.environment(database.environment.merging(["KEYBOUND_KEK_FILE": kekFile.path]) { _, new in new })

        let created = try await CLIRunner.run(["issuer", "create", "--database", url, "--id", "contoso", "--url", "https://id.contoso.test",
                                               "--kind", "tenant", "--tenant-id", "t-contoso"], environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        // The setting also comes from the environment, as for SQLite.
        let listed = try await CLIRunner.run(["issuer", "list", "--json"], environment: environment.merging(["KEYBOUND_DATABASE": url]) { _, new in new })
        #expect(listed.status == 0 && listed.stdout.contains("\"contoso\""), "\(listed.stderr)")
        let rotated = try await CLIRunner.run(["keys", "rotate", "--database", url, "--issuer", "contoso", "--json"], environment: environment)
        #expect(rotated.status == 0, "\(rotated.stderr)")

        // What the commands wrote is in the database, read by another node's store.
        let keys = try await database.withRunning { db in
            try await PostgresKeyStore(database: db).read { try await $0.keys(issuerID: "contoso") }
        }
        let active = try #require(keys.first { $0.state == .active && $0.purpose == .accessToken })
        #expect(keys.filter { $0.state == .pending }.count == 2, "one pending key per purpose after the rotation")
        #expect(keys.allSatisfy { $0.kekFingerprint == kek.fingerprint })

        let revoked = try await CLIRunner.run(["keys", "revoke", "--database", url, "--issuer", "contoso", "--kid=\(active.keyID)",
                                               "--reason", "drill"], environment: environment)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let after = try await CLIRunner.run(["keys", "list", "--database", url, "--issuer", "contoso", "--json"], environment: environment)
        #expect(after.status == 0, "\(after.stderr)")
        let listedKeys = try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any]
        let states = (listedKeys?["keys"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) {
            $0[$1["kid"] as? String ?? "?"] = $1["state"] as? String
        }
        #expect(states[active.keyID] == "revoked", "\(states)")
        #expect(states.values.filter { $0 == "active" }.count == 2, "an emergency key took over: one active key per purpose")
        let events = try await database.withRunning { db in
            try await PostgresKeyStore(database: db).read { try await $0.events(after: 0, limit: 100) }
        }
        #expect(events.map(\.sequence) == Array(1...Int64(events.count)), "key events are numbered 1, 2, 3, … in commit order")
        #expect(events.contains { $0.kind == .revoked && $0.keyID == active.keyID && $0.actor.isEmpty == false })
    }

    @Test("client, user, resource and prune work on the shared provider store; every node sees what they wrote")
    func directoryCommands() async throws {
        let database = try await TestPostgres.shared.makeDatabase("directory_commands")
        let url = database.nodeURL
        let environment = CLIServer.environment(database.environment.merging(["KEYBOUND_KEK": KeyEncryptionKey.generate().base64Text]) { _, new in new })
        func run(_ arguments: [String], stdin: String? = nil) async throws -> CLIRunner.Outcome {
            let result = try await CLIRunner.run(arguments + ["--database", url], stdin: stdin, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result
        }
        _ = try await run(["issuer", "create", "--id", "contoso", "--url", "https://id.contoso.test", "--kind", "tenant", "--tenant-id", "t-1"])
        let created = try await run(["client", "create", "--issuer", "contoso", "--client-id", "mail-archiver", "--name", "Archiver",
                                     "--auth-method", "client_secret_basic", "--grant-type", "client_credentials", "--json"])
        #expect(created.stdout.contains("kbs_"), "the secret is shown once: \(created.stdout)")
        _ = try await run(["user", "create", "--issuer", "contoso", "--username", "adele", "--name", "Adele", "--bcrypt-cost", "10"],
                          stdin: "correct horse battery staple\n")
        _ = try await run(["resource", "set", "--issuer", "contoso", "--audience", "api://mail", "--scope", "Mail.Read",
                           "--server-client", "mail-archiver"])
        _ = try await run(["prune"])
        let (client, resource, user) = try await database.withRunning { db in
            let store = PostgresProviderStore(database: db)
            return (try await store.client(issuerID: "contoso", clientID: "mail-archiver"),
                    try await store.resource(issuerID: "contoso", audience: "api://mail"),
                    try await store.user(issuerID: "contoso", username: "adele"))
        }
        #expect(user?.displayName == "Adele" && user?.passwordHash.hasPrefix("$2") == true)
        #expect(client?.authenticationMethod == .clientSecretBasic && client?.secretHash != nil)
        #expect(resource?.serverClients == ["mail-archiver"])
        let listed = try await run(["client", "list", "--issuer", "contoso", "--json"])
        #expect(listed.stdout.contains("mail-archiver"))
    }

    @Test("without a configured KEK, or for mail serve (still on SQLite only), a PostgreSQL location is refused in one line; audit, hunt and incident run there")
    func refusals() async throws {
        let database = try await TestPostgres.shared.makeDatabase("key_refusals")
        let url = database.nodeURL
        let noKEK = try await CLIRunner.run(["issuer", "list", "--database", url], environment: CLIServer.environment(database.environment))
        #expect(noKEK.status == 2 && noKEK.stderr.contains("KEYBOUND_KEK_FILE"), "\(noKEK.stderr)")
        #expect(noKEK.stderr.split(separator: "\n").count == 1, "one line: \(noKEK.stderr)")
        let environment = CLIServer.environment(database.environment.merging(["KEYBOUND_KEK": KeyEncryptionKey.generate().base64Text]) { _, new in new })
        let refused = try await CLIRunner.run(["mail", "serve", "--trust", "https://id.example/contoso", "--database", url], environment: environment)
        #expect(refused.status == 2 && refused.stderr.contains("SQLite only"), "mail serve: \(refused.stderr)")
        // The operator's tools run there, on an empty database as on a full one.
        let incidents = try await CLIRunner.run(["incident", "list", "--database", url], environment: environment)
        #expect(incidents.status == 0 && incidents.stdout.contains("no incidents"), "\(incidents.stdout)\(incidents.stderr)")
        let verified = try await CLIRunner.run(["audit", "verify", "--database", url], environment: environment)
        #expect(verified.status == 0, "an empty log is intact: \(verified.stderr)")
        let hunted = try await CLIRunner.run(["hunt", "--database", url], environment: environment)
        #expect(hunted.status == 0 && hunted.stdout.contains("The audit log is empty"), "\(hunted.stdout)\(hunted.stderr)")
    }
}
