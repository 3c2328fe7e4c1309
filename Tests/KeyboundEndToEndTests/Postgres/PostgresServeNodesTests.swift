import Foundation
@testable import Keybound
@testable import KeyboundDrill
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
@testable import KeyboundAudit
@testable import KeyboundPostgres
import Testing
import KeyboundTesting

/// `keybound serve --database postgres://…`: two processes on one database act as one provider.
/// Time limits are generous deadlines for a loaded machine, not latency targets.
@Suite("PostgreSQL: serve nodes", .timeLimit(.minutes(10)))
struct PostgresServeNodesTests {
    /// The development credentials node A prints for `issuer`: (label → "id / secret").
    static func credentials(_ output: String, issuer: String) -> [String: (String, String)] {
        var found: [String: (String, String)] = [:]
        var inIssuer = false
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasSuffix(")") == false, line.contains(" (consumer) ") || line.contains(" (tenant) ") {
                inIssuer = line.hasPrefix("\(issuer) (")
                continue
            }
            guard inIssuer, let colon = line.firstIndex(of: ":") else { continue }
            let label = String(line[..<colon])
            let parts = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 3, parts[1] == "/" else { continue }
            found[label] = (String(parts[0]), String(parts[2]))
        }
        return found
    }

    /// A fresh database, a KEK file for it, and the environment serve nodes on it run with.
    struct Deployment {
        let database: TestPostgres.Database
        let directory: URL
        let environment: [String: String]
        var url: String { database.nodeURL }

        init(_ label: String, extra: [String: String] = [:]) async throws {
            try self.init(on: try await TestPostgres.shared.makeDatabase(label), extra: extra)
        }

        /// A deployment on `database` (one of a dedicated server, say).
        init(on database: TestPostgres.Database, extra: [String: String] = [:]) throws {
            self.database = database
            directory = try CLIRunner.temporaryDirectory()
            let kekFile = directory.appendingPathComponent("keybound.kek")
            try Data((KeyEncryptionKey.generate().base64Text + "\n").utf8).write(to: kekFile)
            environment = CLIServer.environment(database.environment.merging(extra.merging(["KEYBOUND_KEK_FILE": kekFile.path]) { old, _ in old })
                                                { _, new in new })
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// A `serve` node on `url`, started and listening (fails the test otherwise).
    static func node(_ url: String, port: Int, publicURL: String = "https://id.keybound.test",
                     environment: [String: String]) async throws -> CLIServer {
        let server = try CLIServer(["serve", "--database", url, "--port", "\(port)", "--public-url", publicURL,
                                    "--metrics-listen", "off"], environment: environment)
        let started = try await server.waitFor("Keybound listening", seconds: 120)
        if !started { server.stop() }
        try #require(started, "a serve node on PostgreSQL did not start:\n\(server.text)")
        return server
    }

    @Test("a token issued on node A is introspected, refreshed and revoked on node B, and A sees the revocation")
    func oneProviderAcrossNodes() async throws {
        let deployment = try await Deployment("serve_nodes")
        defer { deployment.remove() }
        let database = deployment.database, environment = deployment.environment
        let (portA, portB) = try CLIServeProductionTests.ports()

        let nodeA = try await Self.node(database.nodeURL, port: portA, environment: environment)
        defer { nodeA.stop() }
        #expect(!nodeA.text.contains(database.environment["PGPASSWORD"] ?? "\u{0}"), "the password is never printed")
        let printed = Self.credentials(nodeA.text, issuer: "contoso")
        let user = try #require(printed["user"], "node A printed the development credentials:\n\(nodeA.text)")
        let server = try #require(printed["mail server client"])
        let nodeB = try await Self.node(database.nodeURL, port: portB, environment: environment)
        defer { nodeB.stop() }
        #expect(!nodeB.text.contains("Development credentials"), "node B found the issuers node A created: no second bootstrap")

        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        defer { Task { await http.shutdown() } }
        let oauth = DrillOAuth(http: http)
        let issuerA = "http://127.0.0.1:\(portA)/contoso", issuerB = "http://127.0.0.1:\(portB)/contoso"
        let first = try await oauth.signIn(issuer: issuerA, clientID: "contoso-web", username: user.0, password: user.1)
        let firstRefresh = try #require(first.refreshToken)

        func active(_ issuer: String, _ token: String) async throws -> Bool {
            let reply = try await http.postForm(issuer + "/introspect", [("token", token)], basic: server)
            try #require(reply.status == 200, "introspection at \(issuer): \(reply.status) \(reply.text)")
            return reply.json?["active"] == .bool(true)
        }
        #expect(try await active(issuerB, first.accessToken), "B finds A's token in the shared ledger")

        let second = try #require(try await oauth.refresh(issuer: issuerB, clientID: "contoso-web", refreshToken: firstRefresh),
                                  "B exchanges the refresh token A issued")
        #expect(try await oauth.refresh(issuer: issuerA, clientID: "contoso-web", refreshToken: firstRefresh) == nil,
                "A refuses the refresh token B spent: its reuse revokes the chain")
        #expect(try await active(issuerA, second.accessToken) == false, "the reuse on A revoked what B issued")

        // A fresh grant, revoked on B (RFC 7009), is inactive on A.
        let third = try await oauth.signIn(issuer: issuerA, clientID: "contoso-web", username: user.0, password: user.1)
        let revoked = try await http.postForm(issuerB + "/revoke", [("token", third.accessToken), ("client_id", "contoso-web")])
        #expect(revoked.status == 200, "\(revoked.status) \(revoked.text)")
        #expect(try await active(issuerA, third.accessToken) == false)
        #expect(try await active(issuerB, third.accessToken) == false)

        // Every node serves the same keys.
        let jwksA = try await http.get(issuerA + "/jwks"), jwksB = try await http.get(issuerB + "/jwks")
        #expect(jwksA.status == 200 && jwksA.body == jwksB.body)
    }

    @Test("with the poll fallback at one hour, B's streams carry a token and a key revoked on A; a client disabled on A is refused by B at once")
    func changesReachTheOtherNode() async throws {
        let deployment = try await Deployment("serve_notify", extra: ["KEYBOUND_STREAMS_POLL_INTERVAL_MS": "3600000"])
        defer { deployment.remove() }
        let url = deployment.url, environment = deployment.environment
        let (portA, portB) = try CLIServeProductionTests.ports()
        // One provider, one public URL (B's here): a validator that follows B trusts what A issues.
        let publicURL = "http://127.0.0.1:\(portB)"
        let nodeA = try await Self.node(url, port: portA, publicURL: publicURL, environment: environment)
        defer { nodeA.stop() }
        let printed = Self.credentials(nodeA.text, issuer: "contoso")
        let daemon = try #require(printed["confidential client"], "\(nodeA.text)")
        let server = try #require(printed["mail server client"])
        let nodeB = try await Self.node(url, port: portB, publicURL: publicURL, environment: environment)
        defer { nodeB.stop() }
        let issuerA = "http://127.0.0.1:\(portA)/contoso", issuerB = publicURL + "/contoso"

        let validator = try RemoteValidator(issuer: issuerB)
        let notices = TokenNoticeLog()
        let keyEvents = KeyEventSubscriber(store: validator.store)
        let tokenEvents = TokenEventSubscriber(issuers: [.init(url: issuerB, credentials: .clientSecretBasic(clientID: server.0, secret: server.1))],
                                               revoked: validator.revoked, cache: validator.cache, onEvent: { notices.record($0) })
        let running = [Task { await keyEvents.run() }, Task { await tokenEvents.run() }]
        defer { for task in running { task.cancel() } }
        #expect(await eventually(within: 30) { keyEvents.isConnected && tokenEvents.isConnected && validator.store.isLoaded(issuerB) })

        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        defer { Task { await http.shutdown() } }
        let oauth = DrillOAuth(http: http)
        let revokedToken = try await oauth.clientCredentials(issuer: issuerA, clientID: daemon.0, secret: daemon.1)
        let keptToken = try await oauth.clientCredentials(issuer: issuerA, clientID: daemon.0, secret: daemon.1)
        #expect((try? await validator.verifier.verify(keptToken).get()) != nil, "B's validator trusts A's token")
        let revocation = try await http.postForm(issuerA + "/revoke", [("token", revokedToken)], basic: daemon)
        #expect(revocation.status == 200)
        let jti = try #require(ProviderFixture.claims(revokedToken)["jti"]?.stringValue)
        // 8 s: a stream re-reads the store anyway at its 15 s keep-alive, and polls hourly here, so
        // only a notice from A's commit can bring the event sooner.
        #expect(await eventually(within: 8) { notices.all.contains { $0.tokenID == jti } },
                "only NOTIFY can have woken B's stream: its poll is an hour")
        if case .success = await validator.verifier.verify(revokedToken) { Issue.record("a token revoked on A still verifies after B's event") }

        // A client disabled through another node: B refuses it on the next request, although B
        // served it a moment before (no directory cache outlives a request on a shared store).
        _ = try await oauth.clientCredentials(issuer: issuerB, clientID: daemon.0, secret: daemon.1)
        let disabled = try await CLIRunner.run(["client", "disable", "--database", url, "--issuer", "contoso", "--client", daemon.0],
                                               environment: environment)
        #expect(disabled.status == 0, "\(disabled.stderr)")
        let refused = try await http.postForm(issuerB + "/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                              basic: daemon)
        #expect(refused.status == 401, "\(refused.status) \(refused.text)")

        // A key revoked on A (by its admin CLI): B's key-event stream tells the validator at once.
        let header = try #require(TokenInspection(token: keptToken, now: Date(), tokenType: .accessToken).header)
        let kid = try #require(header["kid"]?.stringValue)
        let keyRevoked = try await CLIRunner.run(["keys", "revoke", "--database", url, "--issuer", "contoso", "--kid=\(kid)", "--reason", "drill"],
                                                 environment: environment)
        #expect(keyRevoked.status == 0, "\(keyRevoked.stderr)")
        #expect(await eventually(within: 8) {
            if case .failure = await validator.verifier.verify(keptToken) { return true }
            return false
        }, "a token signed with the revoked key is refused once B's key-event stream delivers the revocation")
    }

    @Test("node A killed (SIGKILL) mid-load: every token a client received from A is in the ledger, and B keeps serving")
    func nodeKilledMidLoad() async throws {
        let deployment = try await Deployment("serve_kill")
        defer { deployment.remove() }
        let database = deployment.database, url = deployment.url, environment = deployment.environment
        let (portA, portB) = try CLIServeProductionTests.ports()
        let nodeA = try await Self.node(url, port: portA, environment: environment)
        defer { nodeA.stop() }
        let daemon = try #require(Self.credentials(nodeA.text, issuer: "contoso")["confidential client"])
        let nodeB = try await Self.node(url, port: portB, environment: environment)
        defer { nodeB.stop() }
        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        defer { Task { await http.shutdown() } }

        let load = PostgresOutageTests.Load()
        let stop = PostgresOutageTests.StopFlag()
        let workers = (0..<4).map { _ in
            Task {
                while !stop.isRaised {
                    let reply = try? await http.postForm("http://127.0.0.1:\(portA)/contoso/token",
                                                         [("grant_type", "client_credentials"), ("scope", "api://mail/.default")], basic: daemon)
                    load.record(reply?.status ?? -1, token: reply?.status == 200 ? reply?.json?["access_token"]?.stringValue : nil,
                                body: reply?.text ?? "")
                    if reply == nil { try? await Task.sleep(for: .milliseconds(20)) }
                }
            }
        }
        #expect(await eventually(within: 30) { load.count(200) >= 20 }, "\(load.statuses)")
        nodeA.process.send(SIGKILL)
        _ = await nodeA.process.wait()
        stop.raise()
        for worker in workers { await worker.value }

        let fromB = try await http.postForm("http://127.0.0.1:\(portB)/contoso/token",
                                            [("grant_type", "client_credentials"), ("scope", "api://mail/.default")], basic: daemon)
        #expect(fromB.status == 200, "B keeps serving: \(fromB.status) \(fromB.text)")
        let tokens = load.tokens
        let missing = try await database.withRunning { db in
            let store = PostgresProviderStore(database: db)
            var missing = 0
            for token in tokens {
                let jti = ProviderFixture.claims(token)["jti"]?.stringValue ?? ""
                if try await store.issuance(issuerID: "contoso", tokenID: jti) == nil { missing += 1 }
            }
            return missing
        }
        #expect(missing == 0, "\(missing) of \(tokens.count) tokens handed out by A before its death are not in the ledger")
    }

    @Test("--with-mail on PostgreSQL: two nodes serve one mail store and write one audit chain, signed by one sealed key")
    func mailAcrossNodes() async throws {
        let adminToken = Secrets.random256()
        let deployment = try await Deployment("serve_mail", extra: ["KEYBOUND_ADMIN_TOKEN": adminToken])
        defer { deployment.remove() }
        let url = deployment.url, environment = deployment.environment
        let (portA, portB) = try CLIServeProductionTests.ports()
        var (mailA, mailB) = try CLIServeProductionTests.ports()
        while [portA, portB].contains(mailA) || [portA, portB, mailA].contains(mailB) { (mailA, mailB) = try CLIServeProductionTests.ports() }
        func node(_ port: Int, mail: Int) async throws -> CLIServer {
            let server = try CLIServer(["serve", "--database", url, "--port", "\(port)", "--public-url", "https://id.keybound.test",
                                        "--metrics-listen", "off", "--with-mail", "--mail-port", "\(mail)"], environment: environment)
            let started = try await server.waitFor("Keybound Mail:", seconds: 120)
            if !started { server.stop() }
            try #require(started, "a serve --with-mail node on PostgreSQL did not start:\n\(server.text)")
            return server
        }
        let nodeA = try await node(portA, mail: mailA)
        defer { nodeA.stop() }
        let nodeB = try await node(portB, mail: mailB)
        defer { nodeB.stop() }
        #expect(!nodeA.text.contains(deployment.database.environment["PGPASSWORD"] ?? "\u{0}"), "the password is never printed")
        let daemon = try #require(Self.credentials(nodeA.text, issuer: "contoso")["confidential client"], "\(nodeA.text)")

        let http = DrillHTTP(requestTimeout: .seconds(60))  // a deadline for a loaded machine: sign-in hashes at the development cost in a debug build
        defer { Task { await http.shutdown() } }
        let tokenReply = try await http.postForm("http://127.0.0.1:\(portA)/contoso/token",
                                                 [("grant_type", "client_credentials"), ("scope", "api://mail/.default")], basic: daemon)
        let token = try #require(tokenReply.json?["access_token"]?.stringValue, "\(tokenReply.status) \(tokenReply.text)")
        // The token from node A reads the same mailbox (provisioned once, though both nodes seeded
        // their users' mailboxes at start) on both nodes' mail; each read is audited.
        var listings: [String] = []
        for port in [mailA, mailB, mailA] {
            let reply = try await http.get("http://127.0.0.1:\(port)/users/adele@contoso.example/messages", bearer: token)
            #expect(reply.status == 200, "\(port): \(reply.status) \(reply.text)")
            listings.append(reply.text)
        }
        #expect(Set(listings).count == 1 && listings[0].contains("\"id\""), "one mailbox, the same messages on both nodes: \(listings)")
        // The admin hunt of either node reads the shared log.
        let hunt = try await http.get("http://127.0.0.1:\(portB)/admin/hunt", bearer: adminToken)
        #expect(hunt.status == 200, "\(hunt.status) \(hunt.text)")
        let scanned = hunt.json?["scan"]?.objectValue?["records_scanned"]?.numberValue ?? 0
        #expect(scanned >= 3, "the hunt on node B saw the reads made through both nodes: \(hunt.text.prefix(300))")

        // One chain in the database, from both nodes, with no gap, signed by the key sealed in the key store.
        let settings = try PostgresConnectionSettings(url: url)
        let stores = try await PostgresStores.open(settings, environment: environment, logger: TestPostgres.logger, maximumConnections: 2)
        let kek = try KEKSource.resolveForDatabase(environment: environment)
        let manager = try await KeyManager(store: stores.keys, kek: kek)
        let secret = try await manager.sealedSecret(.auditSigningKey) { Issue.record("the nodes made the audit key"); return [] }
        let log = try await AuditLog.open(database: stores.database, signingKey: try AuditSigningKey(privateKeyBytes: secret))
        let reads = try await log.records(after: 0, limit: 100).filter { $0.verdict == .allowed && $0.resource == "adele@contoso.example" }
        #expect(reads.count == 3, "the three reads, from both nodes, in one log: \(reads.map(\.operation))")
        let walked = try await AuditStorageFixture.expectUnbrokenChain(log)
        let last = try await log.lastSequence()
        #expect(walked >= 3 && Int64(walked) == last)
        #expect(try await log.checkpoint() != nil, "the open segment closes with a checkpoint signed by the sealed key")
        #expect(try await log.checkpoints().allSatisfy { $0.keyID == log.publicKey?.keyID })
        // Both nodes stop on SIGTERM, each with its mail listener and its pools.
        for node in [nodeA, nodeB] {
            let started = ContinuousClock.now
            let status = node.stop()
            print("mailAcrossNodes: a node stopped with \(status) after \(ContinuousClock.now - started)")
            #expect(status == 0, "a --with-mail node on PostgreSQL stops on SIGTERM (137: it had to be killed)")
        }
    }
}
