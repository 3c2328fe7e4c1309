import Foundation
import Keybound
@testable import KeyboundDrill
import KeyboundPostgres
@testable import KeyboundStore
import PostgresNIO
import Synchronization
import Testing

/// A serve node whose database goes away mid-load and comes back: it fails closed (503 with an
/// OAuth error body, never 500), keeps discovery and the JWKS from memory, loses no ledger record
/// of a token it handed out, and recovers by itself.
///
/// The outage is the node's database refusing connections (`ALLOW_CONNECTIONS false`, and every
/// open connection terminated), which to the node is a database that is down, without stopping the
/// server the other suites share.
@Suite("PostgreSQL: a serve node through a database outage", .timeLimit(.minutes(5)))
struct PostgresOutageTests {
    /// What the load saw.
    final class Load: Sendable {
        private let state = Mutex<(statuses: [Int: Int], tokens: [String], badBodies: [String])>(([:], [], []))

        func record(_ status: Int, token: String?, body: String) {
            state.withLock { state in
                state.statuses[status, default: 0] += 1
                if let token { state.tokens.append(token) }
                if status == 503, !body.contains("\"temporarily_unavailable\"") { state.badBodies.append(body) }
            }
        }

        var statuses: [Int: Int] { state.withLock { $0.statuses } }
        var tokens: [String] { state.withLock { $0.tokens } }
        var badBodies: [String] { state.withLock { $0.badBodies } }
        func count(_ status: Int) -> Int { statuses[status] ?? 0 }
    }

    /// Tells the load to stop.
    final class StopFlag: Sendable {
        private let raised = Mutex(false)
        func raise() { raised.withLock { $0 = true } }
        var isRaised: Bool { raised.withLock { $0 } }
    }

    /// Runs `statement` as the server's superuser on its maintenance database.
    static func administer(_ database: TestPostgres.Database, _ statement: String) async throws {
        let maintenance = TestPostgres.Database(
            settings: try PostgresConnectionSettings(host: database.settings.host, port: database.settings.port,
                                                     username: database.settings.username, database: "postgres"),
            environment: database.environment)
        try await maintenance.withRunning { db in
            _ = try await db.client.query(PostgresQuery(unsafeSQL: statement), logger: TestPostgres.logger)
        }
    }

    @Test("503 while the database is gone, never 500; discovery and JWKS from memory; every token handed out is in the ledger; recovery without a restart")
    func outageMidLoad() async throws {
        let deployment = try await PostgresServeNodesTests.Deployment("serve_outage")
        defer { deployment.remove() }
        let database = deployment.database, environment = deployment.environment
        let name = database.settings.database
        let (port, _) = try CLIServeProductionTests.ports()
        let node = try await PostgresServeNodesTests.node(database.settings.description, port: port, environment: environment)
        defer { node.stop() }
        let daemon = try #require(PostgresServeNodesTests.credentials(node.text, issuer: "contoso")["confidential client"])
        let base = "http://127.0.0.1:\(port)", issuer = base + "/contoso"
        let http = DrillHTTP()
        defer { Task { await http.shutdown() } }
        // Discovery and JWKS are served once before the outage, as a relying party would have.
        #expect(try await http.get(issuer + "/.well-known/openid-configuration").status == 200)
        #expect(try await http.get(issuer + "/jwks").status == 200)

        let load = Load()
        let stop = StopFlag()
        let workers = (0..<2).map { _ in
            Task {
                while !stop.isRaised {
                    do {
                        let reply = try await http.postForm(issuer + "/token", [("grant_type", "client_credentials"),
                                                                                ("scope", "api://mail/.default")], basic: daemon)
                        load.record(reply.status, token: reply.status == 200 ? reply.json?["access_token"]?.stringValue : nil,
                                    body: reply.text)
                    } catch {
                        load.record(-1, token: nil, body: "\(error)")
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        #expect(await eventually(within: 30) { load.count(200) >= 5 }, "the node issues tokens before the outage: \(load.statuses)")

        try await Self.administer(database, "ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        try await Self.administer(database, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
        let before503 = load.count(503)
        #expect(await eventually(within: 30) { load.count(503) >= before503 + 3 }, "token requests fail closed: \(load.statuses)")
        let ready = try await http.get(base + "/health/ready")
        #expect(ready.status == 503, "ready: \(ready.status) \(ready.text)")
        #expect(try await http.get(base + "/health/live").status == 200)
        #expect(try await http.get(issuer + "/.well-known/openid-configuration").status == 200, "discovery from memory")
        #expect(try await http.get(issuer + "/jwks").status == 200, "JWKS from memory")

        try await Self.administer(database, "ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
        let before200 = load.count(200)
        #expect(await eventually(within: 60) { load.count(200) >= before200 + 5 }, "the node recovers by itself: \(load.statuses)")
        #expect(await eventually(within: 30) { (try? await http.get(base + "/health/ready").status) == 200 })
        stop.raise()
        for worker in workers { await worker.value }

        #expect(load.count(500) == 0, "never a 500: \(load.statuses)")
        #expect(load.badBodies.isEmpty, "every 503 has an OAuth error body: \(load.badBodies.prefix(2))")
        #expect(Set(load.statuses.keys).isSubset(of: [200, 503]), "\(load.statuses)")
        // Every token a client received is in the ledger.
        let tokens = load.tokens
        let missing = try await database.withRunning { db in
            let store = PostgresProviderStore(database: db)
            var missing: [String] = []
            for token in tokens {
                guard let jti = ProviderFixture.claims(token)["jti"]?.stringValue,
                      try await store.issuance(issuerID: "contoso", tokenID: jti) != nil else {
                    missing.append(String(token.prefix(24)))
                    continue
                }
            }
            return missing
        }
        #expect(missing.isEmpty, "\(missing.count) of \(tokens.count) tokens handed out are not in the ledger")
    }
}
