import Foundation
import KeyboundStore
import Testing

/// The console's identities from the command line: `issuer create --kind operator` (once per
/// store), `user create --role`, and the admin log entries the CLI's changes leave.
@Suite("CLI: the operator issuer, user roles and the admin log", .serialized)
struct CLIConsoleIdentityTests {
    @Test("one operator issuer; Console.Operator only there, Console.TenantAdmin only in a tenant; each change is in the admin log")
    func operatorIssuerAndRoles() async throws {
        let data = try await CLIDirectoryTests.dataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        func keybound(_ arguments: [String], stdin: String? = nil) async throws -> CLIRunner.Outcome {
            try await CLIDirectoryTests.keybound(arguments, stdin: stdin)
        }
        let created = try await keybound(["issuer", "create", "--data", data.path, "--json", "--id", "operators",
                                          "--url", "https://id.example/operators", "--kind", "operator"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.json?["kind"] as? String == "operator")
        let second = try await keybound(["issuer", "create", "--data", data.path, "--id", "staff", "--url", "https://id.example/staff", "--kind", "operator"])
        #expect(second.status == 2)
        #expect(second.stderr.contains("already this store's operator issuer"), "\(second.stderr)")

        let password = "correct horse battery staple\n"
        let root = try await keybound(["user", "create", "--data", data.path, "--json", "--issuer", "operators", "--username", "root",
                                       "--bcrypt-cost", "10", "--role", "Console.Operator", "--actor", "ops-alice"], stdin: password)
        #expect(root.status == 0, "\(root.stderr)")
        #expect((root.json?["roles"] as? [String]) == ["keybound://console/Console.Operator"])
        let admin = try await keybound(["user", "create", "--data", data.path, "--json", "--issuer", "contoso", "--username", "tadmin",
                                        "--bcrypt-cost", "10", "--role", "Console.TenantAdmin"], stdin: password)
        #expect(admin.status == 0, "\(admin.stderr)")
        for (issuer, role) in [("contoso", "Console.Operator"), ("operators", "Console.TenantAdmin"), ("consumers", "Console.TenantAdmin")] {
            let refused = try await keybound(["user", "create", "--data", data.path, "--issuer", issuer, "--username", "x-\(issuer)",
                                              "--bcrypt-cost", "10", "--role", role], stdin: password)
            #expect(refused.status == 2, "\(role) at \(issuer)")
            #expect(try SQLiteProviderStore(directory: data).user(issuerID: issuer, username: "x-\(issuer)") == nil)
        }
        let rotated = try await keybound(["keys", "rotate", "--data", data.path, "--issuer", "contoso", "--actor", "ops-bob"])
        #expect(rotated.status == 0, "\(rotated.stderr)")

        let entries = try SQLiteProviderStore(directory: data).adminLog(issuerID: nil, after: 0, limit: 100)
        // The two issuers the fixture made, then this test's changes; refused ones changed nothing and are not entries.
        #expect(entries.map(\.action.action) == ["issuer.create", "issuer.create", "issuer.create", "user.create", "user.create", "key.rotate"])
        #expect(entries.map(\.action.issuerID) == ["contoso", "consumers", "operators", "operators", "contoso", "contoso"])
        #expect(entries.allSatisfy { $0.action.actorIssuer == "cli" && $0.action.outcome == "succeeded" })
        #expect(entries[3].action.actorSubject == "ops-alice" && entries[3].action.target == "root")
        #expect(entries[5].action.actorSubject == "ops-bob")
        #expect(try await SQLiteProviderStore(directory: data).verifyAdminLog() == .intact(entries: 6))
    }
}
