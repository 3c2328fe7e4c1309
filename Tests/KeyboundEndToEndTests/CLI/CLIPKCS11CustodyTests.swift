import Foundation
import Keybound
@testable import KeyboundDrill
import KeyboundStore
import KeyboundTesting
import Testing

/// `keybound issuer create --custody pkcs11`, then `serve`, `keys rotate`, `keys tick` and
/// `keys revoke`, all reading the one PKCS#11 configuration from the environment, on a SoftHSM2 token.
@Suite("CLI: PKCS#11 custody", .serialized)
struct CLIPKCS11CustodyTests {
    /// The PKCS#11 variables of the shared SoftHSM2 token, and a KEK file.
    static func environment(data: URL, token: Bool = true) async throws -> [String: String] {
        let setup = try await SoftHSMToken.shared()
        let kekFile = data.deletingLastPathComponent().appendingPathComponent("\(data.lastPathComponent).kek")
        try Data((KeyEncryptionKey.generate().base64Text + "\n").utf8).write(to: kekFile)
        var extra = ["KEYBOUND_KEK_FILE": kekFile.path, "SOFTHSM2_CONF": ProcessInfo.processInfo.environment["SOFTHSM2_CONF"] ?? ""]
        if token {
            extra["KEYBOUND_PKCS11_MODULE"] = SoftHSMToken.modulePath
            extra["KEYBOUND_PKCS11_TOKEN"] = SoftHSMToken.label
            extra["KEYBOUND_PKCS11_PIN_FILE"] = setup.pinFile.path
        }
        return CLIServer.environment(extra)
    }

    /// A data directory with a tenant issuer in PKCS#11 custody, `api://mail` and a client-credentials daemon.
    struct Deployment {
        let data: URL
        let environment: [String: String]
        let port: Int
        let issuerID: String
        let secret: String
        var base: String { "http://127.0.0.1:\(port)" }

        init(moduleOverride: String? = nil) async throws {
            data = try CLIRunner.temporaryDirectory()
            var environment = try await CLIPKCS11CustodyTests.environment(data: data)
            if let moduleOverride { environment["KEYBOUND_PKCS11_MODULE"] = moduleOverride }
            self.environment = environment
            (port, _) = try CLIServeProductionTests.ports()
            issuerID = "hsm\(UInt16.random(in: 1000...9999))"
            let base = "http://127.0.0.1:\(port)"
            let created = try await CLIRunner.run(["issuer", "create", "--data", data.path, "--json", "--id", issuerID, "--url", "\(base)/\(issuerID)",
                                                   "--kind", "tenant", "--tenant-id", "t-\(issuerID)", "--custody", "pkcs11"], environment: environment)
            try #require(created.status == 0, "\(created.stderr)")
            #expect(created.json?["custody"] as? String == "pkcs11")
            let keys = created.json?["keys"] as? [[String: Any]] ?? []
            #expect(keys.count == 2 && keys.allSatisfy { $0["custody"] as? String == "pkcs11" })
            try SQLiteProviderStore(directory: data).upsert(ResourceRecord(issuerID: issuerID, audience: "api://mail", scopes: ["Mail.Read"], roles: ["Mail.Read.All"]))
            let client = try await CLIRunner.run(["client", "create", "--data", data.path, "--json", "--issuer", issuerID, "--client-id", "daemon",
                                                  "--name", "Daemon", "--auth-method", "client_secret_basic", "--grant-type", "client_credentials",
                                                  "--role", "api://mail/Mail.Read.All"], environment: environment)
            try #require(client.status == 0, "\(client.stderr)")
            secret = try #require(client.json?["client_secret"] as? String)
        }

        func serve(_ environment: [String: String]? = nil) async throws -> CLIServer {
            let server = try CLIServer(["serve", "--data", data.path, "--port", "\(port)", "--public-url", base, "--metrics-listen", "off"],
                                       environment: environment ?? self.environment)
            let started = try await server.waitFor("Keybound listening", seconds: 120)
            if !started { server.stop() }
            try #require(started, "serve did not start:\n\(server.text)")
            return server
        }

        func token(_ http: DrillHTTP) async throws -> DrillHTTP.Reply {
            try await http.postForm("\(base)/\(issuerID)/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                    basic: ("daemon", secret))
        }

        func remove() {
            try? FileManager.default.removeItem(at: data)
            if let kek = environment["KEYBOUND_KEK_FILE"] { try? FileManager.default.removeItem(atPath: kek) }
        }
    }

    @Test("an issuer created in the token issues client_credentials tokens from serve that verify against its JWKS; rotate, tick and revoke work on it, and a revoked key's private half is destroyed")
    func serveSignsInsideTheToken() async throws {
        let deployment = try await Deployment()
        defer { deployment.remove() }
        let (data, environment, issuerID, base) = (deployment.data, deployment.environment, deployment.issuerID, deployment.base)
        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        defer { Task { await http.shutdown() } }
        func serve(_ environment: [String: String]) async throws -> CLIServer { try await deployment.serve(environment) }
        func token() async throws -> DrillHTTP.Reply { try await deployment.token(http) }

        // serve with the token configured: the access token is signed inside it and verifies against the JWKS.
        do {
            let server = try await serve(environment)
            defer { server.stop() }
            let reply = try await token()
            try #require(reply.status == 200, "\(reply.status) \(reply.text)")
            let accessToken = try #require(reply.json?["access_token"]?.stringValue)
            let jwks = try await http.get("\(base)/\(issuerID)/jwks")
            var trust = TrustStore()
            try trust.add(TrustedIssuer(identifier: "\(base)/\(issuerID)", tenancy: .tenant("t-\(issuerID)"), keySet: JWKSet(json: jwks.body)))
            let verified = TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: "api://mail")).verify(accessToken)
            #expect(verified.rejection == nil, "\(String(describing: verified.rejection))")
        }

        // serve without it: the issuer's tokens fail closed with 503, never a 500 or a software key.
        do {
            let server = try await serve(try await Self.environment(data: data, token: false).merging(["KEYBOUND_KEK_FILE": environment["KEYBOUND_KEK_FILE"]!]) { _, new in new })
            defer { server.stop() }
            let reply = try await token()
            #expect(reply.status == 503, "\(reply.status) \(reply.text)")
            #expect(reply.json?["error"]?.stringValue == Optional("temporarily_unavailable"))
            #expect(reply.header("Retry-After") != nil)
        }

        // keys rotate / tick / revoke read the same configuration.
        let rotated = try await CLIRunner.run(["keys", "rotate", "--data", data.path, "--issuer", issuerID, "--json"], environment: environment)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let tick = try await CLIRunner.run(["keys", "tick", "--data", data.path], environment: environment)
        #expect(tick.status == 0, "\(tick.stderr)")
        let listed = try await CLIRunner.run(["keys", "list", "--data", data.path, "--issuer", issuerID, "--json"], environment: environment)
        let all = listed.json?["keys"] as? [[String: Any]] ?? []
        #expect(all.count == 4 && all.allSatisfy { $0["custody"] as? String == "pkcs11" })
        let active = try #require(all.first { $0["state"] as? String == "active" && $0["purpose"] as? String == "access-token" }?["kid"] as? String)
        let revoked = try await CLIRunner.run(["keys", "revoke", "--data", data.path, "--issuer", issuerID, "--kid=\(active)",
                                               "--reason", "custody drill", "--json"], environment: environment)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let record = revoked.json?["revoked"] as? [String: Any]
        #expect(record?["state"] as? String == "revoked")
        #expect(record?["private_destroyed_at"] is String, "\(revoked.stdout)")
    }

    @Test("serve answers 503 while its token is pulled out and issues again once it is back, without a restart")
    func tokenRemovalFailsClosedAndRecovers() async throws {
        let removable = try await RemovableToken.build()
        defer { removable.putBack() }
        let deployment = try await Deployment(moduleOverride: removable.modulePath.path)
        defer { deployment.remove() }
        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        defer { Task { await http.shutdown() } }
        let server = try await deployment.serve()
        defer { server.stop() }
        #expect(try await deployment.token(http).status == 200)

        removable.pullOut()
        for _ in 0..<3 {
            let reply = try await deployment.token(http)
            #expect(reply.status == 503, "\(reply.status) \(reply.text)")
            #expect(reply.json?["error"]?.stringValue == Optional("temporarily_unavailable"))
        }
        let health = try await http.get("\(deployment.base)/health")
        #expect(health.status == 200, "the server itself is up: \(health.status)")

        removable.putBack()
        let recovered = try await deployment.token(http)
        #expect(recovered.status == 200, "\(recovered.status) \(recovered.text)")
        #expect(server.process.isRunning)

        // A revocation while the token is out stands without a successor: 503, never a 500 or
        // the revoked key; once the token is back a tick makes the successor and issuance resumes.
        let listed = try await CLIRunner.run(["keys", "list", "--data", deployment.data.path, "--issuer", deployment.issuerID, "--json"],
                                             environment: deployment.environment)
        let active = try #require((listed.json?["keys"] as? [[String: Any]])?.first {
            $0["state"] as? String == "active" && $0["purpose"] as? String == "access-token" }?["kid"] as? String)
        removable.pullOut()
        let revoked = try await CLIRunner.run(["keys", "revoke", "--data", deployment.data.path, "--issuer", deployment.issuerID, "--kid=\(active)",
                                               "--reason", "leaked while the token was out"], environment: deployment.environment)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let withoutKey = try await deployment.token(http)
        #expect(withoutKey.status == 503, "\(withoutKey.status) \(withoutKey.text)")
        removable.putBack()
        let tick = try await CLIRunner.run(["keys", "tick", "--data", deployment.data.path], environment: deployment.environment)
        #expect(tick.status == 0, "\(tick.stderr)")
        var resumed = try await deployment.token(http)
        for _ in 0..<50 where resumed.status != 200 {
            try await Task.sleep(for: .milliseconds(100))
            resumed = try await deployment.token(http)
        }
        #expect(resumed.status == 200, "\(resumed.status) \(resumed.text)")
    }
}
