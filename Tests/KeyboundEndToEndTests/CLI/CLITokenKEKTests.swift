import Foundation
import Keybound
@testable import KeyboundDrill
import KeyboundStore
import KeyboundTesting
import Testing

/// `keybound kek create --pkcs11-label`, `KEYBOUND_KEK_PKCS11_LABEL` for every command, and
/// `kek rotate --new-kek-pkcs11-label`, on the shared SoftHSM2 token.
@Suite("CLI: the KEK inside the PKCS#11 token", .serialized)
struct CLITokenKEKTests {
    /// A SoftHSM2 token of this suite's own, in `directory`, and the variables that name it and a
    /// KEK file. Only `keybound` child processes use it: SoftHSM2 processes that read a token
    /// directory while another process writes objects into it can see `CKR_GENERAL_ERROR`, so
    /// these tests keep out of the token the in-process tests share.
    static func environment(data: URL) async throws -> [String: String] {
        let directory = data.appendingPathComponent("softhsm")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tokens"), withIntermediateDirectories: true)
        let conf = directory.appendingPathComponent("softhsm2.conf")
        try Data("directories.tokendir = \(directory.appendingPathComponent("tokens").path)\nobjectstore.backend = file\nlog.level = ERROR\n".utf8).write(to: conf)
        let initialised = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/softhsm2-util"),
                                                     ["--init-token", "--free", "--label", "kek-cli", "--pin", "4242", "--so-pin", "5353"],
                                                     environment: ["SOFTHSM2_CONF": conf.path, "PATH": "/usr/bin:/bin"])
        try #require(initialised.status == 0, "\(initialised.stderr)")
        let pin = directory.appendingPathComponent("pin")
        try Data("4242".utf8).write(to: pin)
        _ = chmod(pin.path, 0o600)
        let kekFile = directory.appendingPathComponent("file.kek")
        try Data((KeyEncryptionKey.generate().base64Text + "\n").utf8).write(to: kekFile)
        return CLIServer.environment(["SOFTHSM2_CONF": conf.path, "KEYBOUND_PKCS11_MODULE": SoftHSMToken.modulePath,
                                      "KEYBOUND_PKCS11_TOKEN": "kek-cli", "KEYBOUND_PKCS11_PIN_FILE": pin.path,
                                      "KEYBOUND_KEK_FILE": kekFile.path])
    }

    @Test("kek create makes the key in the token (a second time is refused); a store made with KEYBOUND_KEK_PKCS11_LABEL serves tokens and says where its KEK is; KEYBOUND_KEK_FILE beside the label is refused")
    func storeOnTheTokenKEK() async throws {
        let data = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        var environment = try await Self.environment(data: data.appendingPathComponent("home"))
        let kekFile = try #require(environment["KEYBOUND_KEK_FILE"])
        environment.removeValue(forKey: "KEYBOUND_KEK_FILE")
        let label = "cli-kek-\(UUID().uuidString.prefix(8))"

        let created = try await CLIRunner.run(["kek", "create", "--pkcs11-label", label, "--json"], environment: environment)
        try #require(created.status == 0, "\(created.stderr)")
        let fingerprint = try #require(created.json?["kek_fingerprint"] as? String)
        let again = try await CLIRunner.run(["kek", "create", "--pkcs11-label", label], environment: environment)
        #expect(again.status != 0 && again.stderr.contains("already holds"), "\(again.stderr)")

        environment["KEYBOUND_KEK_PKCS11_LABEL"] = label
        let (port, _) = try CLIServeProductionTests.ports()
        let base = "http://127.0.0.1:\(port)"
        let issuer = try await CLIRunner.run(["issuer", "create", "--data", data.path, "--json", "--id", "tk", "--url", "\(base)/tk",
                                              "--kind", "tenant", "--tenant-id", "t-tk"], environment: environment)
        try #require(issuer.status == 0, "\(issuer.stderr)")
        let keys = issuer.json?["keys"] as? [[String: Any]] ?? []
        #expect(!keys.isEmpty && keys.allSatisfy { $0["custody"] as? String == "software" })
        try SQLiteProviderStore(directory: data).upsert(ResourceRecord(issuerID: "tk", audience: "api://mail", scopes: ["Mail.Read"], roles: ["Mail.Read.All"]))
        let client = try await CLIRunner.run(["client", "create", "--data", data.path, "--json", "--issuer", "tk", "--client-id", "daemon",
                                              "--name", "Daemon", "--auth-method", "client_secret_basic", "--grant-type", "client_credentials",
                                              "--role", "api://mail/Mail.Read.All"], environment: environment)
        try #require(client.status == 0, "\(client.stderr)")
        let secret = try #require(client.json?["client_secret"] as? String)
        #expect(!FileManager.default.fileExists(atPath: KEKSource.developmentFile(in: data).path), "no development KEK was made")

        let server = try CLIServer(["serve", "--data", data.path, "--port", "\(port)", "--public-url", base, "--metrics-listen", "off"],
                                   environment: environment)
        defer { server.stop() }
        // The start-up lines arrive one by one: wait for the one the check reads.
        try #require(try await server.waitFor("key-encryption key:"), "serve did not start:\n\(server.text)")
        #expect(server.text.contains("key-encryption key: inside the PKCS#11 token (KEYBOUND_KEK_PKCS11_LABEL; fingerprint \(fingerprint))"), "\(server.text)")
        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        defer { Task { await http.shutdown() } }
        let reply = try await http.postForm("\(base)/tk/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                            basic: ("daemon", secret))
        #expect(reply.status == 200, "\(reply.status) \(reply.text)")
        server.stop()

        var both = environment
        both["KEYBOUND_KEK_FILE"] = kekFile
        let refused = try await CLIRunner.run(["keys", "list", "--data", data.path, "--issuer", "tk"], environment: both)
        #expect(refused.status != 0 && refused.stderr.contains("KEYBOUND_KEK_FILE and KEYBOUND_KEK must then be unset"), "\(refused.stderr)")
    }

    @Test("kek rotate --new-kek-pkcs11-label moves a store sealed under a KEK file onto the token; afterwards the label opens it and the file does not")
    func rotateOntoTheToken() async throws {
        let data = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let environment = try await Self.environment(data: data.appendingPathComponent("home"))
        let created = try await CLIRunner.run(["issuer", "create", "--data", data.path, "--id", "rk", "--url", "https://login.example/rk",
                                               "--kind", "tenant", "--tenant-id", "t-rk"], environment: environment)
        try #require(created.status == 0, "\(created.stderr)")
        let label = "cli-rot-\(UUID().uuidString.prefix(8))"
        var tokenOnly = environment
        tokenOnly.removeValue(forKey: "KEYBOUND_KEK_FILE")
        #expect(try await CLIRunner.run(["kek", "create", "--pkcs11-label", label], environment: tokenOnly).status == 0)

        let rotated = try await CLIRunner.run(["kek", "rotate", "--data", data.path, "--new-kek-pkcs11-label", label, "--json"], environment: environment)
        try #require(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.json?["resealed"] as? Double == 2)

        tokenOnly["KEYBOUND_KEK_PKCS11_LABEL"] = label
        let listed = try await CLIRunner.run(["keys", "list", "--data", data.path, "--issuer", "rk"], environment: tokenOnly)
        #expect(listed.status == 0, "\(listed.stderr)")
        let rotatedKeys = try await CLIRunner.run(["keys", "rotate", "--data", data.path, "--issuer", "rk"], environment: tokenOnly)
        #expect(rotatedKeys.status == 0, "new keys are sealed in the token: \(rotatedKeys.stderr)")
        let withFile = try await CLIRunner.run(["keys", "list", "--data", data.path, "--issuer", "rk"], environment: environment)
        #expect(withFile.status != 0, "the old KEK file no longer opens the store: \(withFile.stdout) \(withFile.stderr)")
    }
}
