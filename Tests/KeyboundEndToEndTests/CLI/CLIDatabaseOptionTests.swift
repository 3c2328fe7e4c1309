import Foundation
import Testing

/// `--database` on the command line: one setting for every store command.
@Suite("CLI: --database")
struct CLIDatabaseOptionTests {
    @Test("--database sqlite:DIR is --data DIR; both together, or a bad value, is one line and exit 2")
    func sqliteAndRefusals() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path
        let environment = CLIServer.environment()
        let created = try await CLIRunner.run(["issuer", "create", "--database", "sqlite:\(data)", "--id", "contoso",
                                               "--url", "https://id.contoso.test", "--kind", "tenant", "--tenant-id", "t-1"],
                                              environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        let listed = try await CLIRunner.run(["issuer", "list", "--data", data], environment: environment)
        #expect(listed.status == 0 && listed.stdout.contains("contoso"), "\(listed.stderr)")
        let fromEnvironment = try await CLIRunner.run(["issuer", "list"], environment: CLIServer.environment(["KEYBOUND_DATABASE": "sqlite:\(data)"]))
        #expect(fromEnvironment.status == 0 && fromEnvironment.stdout.contains("contoso"), "\(fromEnvironment.stderr)")

        let both = try await CLIRunner.run(["issuer", "list", "--data", data, "--database", "sqlite:\(data)"], environment: environment)
        #expect(both.status == 2 && both.stderr.contains("not both"), "\(both.stderr)")
        let secret = try await CLIRunner.run(["keys", "list", "--database", "postgres://kb:pa55word@127.0.0.1/identity"], environment: environment)
        #expect(secret.status == 2 && secret.stderr.contains("KEYBOUND_DATABASE_PASSWORD_FILE"), "\(secret.stderr)")
        #expect(!secret.stderr.contains("pa55word"))
        // serve runs on PostgreSQL, with a KEK configured: without one it stops before connecting.
        let serve = try await CLIRunner.run(["serve", "--database", "postgres://kb@db.example/identity", "--port", "1"], environment: environment)
        #expect(serve.status == 2 && serve.stderr.contains("KEYBOUND_KEK_FILE"), "\(serve.stderr)")
        #expect(serve.stderr.split(separator: "\n").count == 1, "one line: \(serve.stderr)")
        // The config file's database is below the flags and the environment, and checked the same way.
        let config = directory.appendingPathComponent("keybound.yaml")
        try Data("database: postgres://kb@db.example/identity\n".utf8).write(to: config)
        let configured = try await CLIRunner.run(["serve", "--config", config.path, "--port", "1"], environment: environment)
        #expect(configured.status == 2 && configured.stderr.contains("KEYBOUND_KEK_FILE"), "\(configured.stderr)")
    }

    @Test("mail serve, audit and hunt read the same setting; a database they cannot reach is one line", arguments: [
        ["mail", "serve", "--trust", "https://id.example/contoso"], ["audit", "verify"], ["hunt"],
    ])
    func otherCommands(command: [String]) async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = CLIServer.environment()
        let both = try await CLIRunner.run(command + ["--data", directory.path, "--database", "sqlite:\(directory.path)"],
                                           environment: environment)
        #expect(both.status == 2 && both.stderr.contains("not both"), "\(command): \(both.stderr)")
        // mail serve runs on SQLite only; audit and hunt open the database, which is not there: one line, at once.
        let postgres = try await CLIRunner.run(command + ["--database", "postgres://kb@127.0.0.1:1/identity"], environment: environment)
        let expected = command.first == "mail" ? "SQLite only" : "cannot reach the database at postgres://kb@127.0.0.1:1/identity"
        #expect(postgres.status == 2 && postgres.stderr.contains(expected), "\(command): \(postgres.stderr)")
        #expect(postgres.stderr.split(separator: "\n").count == 1, "one line: \(postgres.stderr)")
        // The directory it names is the one the command looks in (mail serve would start and wait for its issuers).
        if command.first != "mail" {
            let named = try await CLIRunner.run(command + ["--database", "sqlite:\(directory.path)/nowhere"], environment: environment)
            #expect(named.status != 0 && named.stderr.contains("\(directory.path)/nowhere"), "\(command): \(named.stderr)")
        }
    }
}
