import Foundation
import KeyboundStore
import Testing

/// `keybound client|user|resource|prune` through the built binary, with the admin API's rules.
@Suite("CLI: clients, users, resources and pruning", .serialized)
struct CLIDirectoryTests {
    /// A data directory with a tenant `contoso`, a consumer realm `consumers`, and `api://mail` on each.
    static func dataDirectory() async throws -> URL {
        let data = try CLIRunner.temporaryDirectory()
        let environment = CLIServer.environment()
        for arguments in [["--id", "contoso", "--url", "https://id.example/contoso", "--kind", "tenant", "--tenant-id", "t-1"],
                          ["--id", "consumers", "--url", "https://id.example/consumers", "--kind", "consumer"]] {
            let created = try await CLIRunner.run(["issuer", "create", "--data", data.path] + arguments, environment: environment)
            try #require(created.status == 0, "\(created.stderr)")
        }
        let store = try SQLiteProviderStore(directory: data)
        for issuer in ["contoso", "consumers"] {
            try store.upsert(ResourceRecord(issuerID: issuer, audience: "api://mail", scopes: ["Mail.Read"], roles: ["Mail.Read.All"]))
        }
        return data
    }

    static func keybound(_ arguments: [String], stdin: String? = nil) async throws -> CLIRunner.Outcome {
        try await CLIRunner.run(arguments, stdin: stdin, environment: CLIServer.environment())
    }

    static func createAuditor(_ data: URL, issuer: String, id: String = "auditor", role: String = "api://mail/AuditLog.Read.All") async throws -> CLIRunner.Outcome {
        try await keybound(["client", "create", "--data", data.path, "--json", "--issuer", issuer, "--client-id", id, "--name", "Auditor",
                      "--auth-method", "client_secret_basic", "--grant-type", "client_credentials", "--role", role])
    }

    @Test("a role is granted once the resource defines it; the CLI refuses any role to a consumer realm's client")
    func roles() async throws {
        let data = try await Self.dataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let undefined = try await Self.createAuditor(data, issuer: "contoso")
        #expect(undefined.status == 2)
        #expect(undefined.stderr.contains("not a role of any resource"), "\(undefined.stderr)")

        let defined = try await Self.keybound(["resource", "add-role", "--data", data.path, "--json", "--issuer", "contoso",
                                         "--audience", "api://mail", "--role", "AuditLog.Read.All"])
        #expect(defined.status == 0, "\(defined.stderr)")
        #expect((defined.json?["roles"] as? [String]) == ["Mail.Read.All", "AuditLog.Read.All"])

        let created = try await Self.createAuditor(data, issuer: "contoso")
        #expect(created.status == 0, "\(created.stderr)")
        let secret = try #require(created.json?["client_secret"] as? String)
        #expect(secret.hasPrefix("kbs_"))
        #expect((created.json?["roles"] as? [String]) == ["api://mail/AuditLog.Read.All"])

        // The consumer realm may define the role on its resource, but its clients hold none.
        #expect(try await Self.keybound(["resource", "add-role", "--data", data.path, "--issuer", "consumers", "--audience", "api://mail",
                                   "--role", "AuditLog.Read.All"]).status == 0)
        for role in ["api://mail/AuditLog.Read.All", "api://mail/Mail.Read.All"] {
            let refused = try await Self.createAuditor(data, issuer: "consumers", role: role)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("consumer realm"), "\(refused.stderr)")
        }
        let plain = try await Self.keybound(["client", "create", "--data", data.path, "--json", "--issuer", "consumers", "--client-id", "app",
                                       "--name", "App", "--auth-method", "client_secret_basic", "--grant-type", "client_credentials"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let grant = try await Self.keybound(["client", "grant-role", "--data", data.path, "--issuer", "consumers", "--client", "app",
                                       "--role", "api://mail/Mail.Read.All"])
        #expect(grant.status == 2)
        #expect(grant.stderr.contains("consumer realm"))
        let shown = try await Self.keybound(["client", "show", "--data", data.path, "--json", "--issuer", "consumers", "--client", "app"])
        #expect((shown.json?["roles"] as? [String]) == [])
    }

    @Test("client list, show, rotate-secret and disable; user create, list and disable; prune")
    func lifecycle() async throws {
        let data = try await Self.dataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let created = try await Self.createAuditor(data, issuer: "contoso", role: "api://mail/Mail.Read.All")
        try #require(created.status == 0, "\(created.stderr)")
        let firstSecret = try #require(created.json?["client_secret"] as? String)

        let list = try await Self.keybound(["client", "list", "--data", data.path, "--json", "--issuer", "contoso"])
        #expect(list.status == 0)
        #expect(!list.stdout.contains(firstSecret))
        #expect(((list.json?["clients"] as? [[String: Any]]) ?? []).compactMap { $0["client_id"] as? String } == ["auditor"])

        let rotated = try await Self.keybound(["client", "rotate-secret", "--data", data.path, "--json", "--issuer", "contoso", "--client", "auditor"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let secondSecret = try #require(rotated.json?["client_secret"] as? String)
        #expect(secondSecret != firstSecret)
        let stored = try #require(try SQLiteProviderStore(directory: data).client(issuerID: "contoso", clientID: "auditor"))
        #expect(stored.secretHash != nil && !stored.secretHash!.isEmpty)

        let disabled = try await Self.keybound(["client", "disable", "--data", data.path, "--json", "--issuer", "contoso", "--client", "auditor"])
        #expect(disabled.json?["disabled"] as? Bool == true)
        let missing = try await Self.keybound(["client", "show", "--data", data.path, "--issuer", "consumers", "--client", "auditor"])
        #expect(missing.status == 2, "another issuer's client is not found")

        let user = try await Self.keybound(["user", "create", "--data", data.path, "--json", "--issuer", "contoso", "--username", "adele",
                                      "--email", "adele@contoso.example", "--bcrypt-cost", "10"], stdin: "a long enough password\n")
        #expect(user.status == 0, "\(user.stderr)")
        #expect(!user.stdout.contains("a long enough password"))
        let short = try await Self.keybound(["user", "create", "--data", data.path, "--issuer", "contoso", "--username", "bob"], stdin: "short\n")
        #expect(short.status == 2)
        let users = try await Self.keybound(["user", "list", "--data", data.path, "--json", "--issuer", "contoso"])
        #expect(((users.json?["users"] as? [[String: Any]]) ?? []).compactMap { $0["username"] as? String } == ["adele"])
        let userDisabled = try await Self.keybound(["user", "disable", "--data", data.path, "--json", "--issuer", "contoso", "--username", "adele"])
        #expect(userDisabled.json?["disabled"] as? Bool == true)

        let pruned = try await Self.keybound(["prune", "--data", data.path, "--json"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.json?["refresh_tokens"] as? Int == 0)
    }
}
