import Foundation
@testable import Keybound
@testable import KeyboundDrill
@testable import KeyboundPostgres
@testable import KeyboundStore
import Synchronization
import Testing
import KeyboundTesting

/// A serve node whose database goes away mid-load and comes back: it fails closed (503 with an
/// OAuth error body, never 500), keeps discovery and the JWKS from memory, loses no ledger record
/// of a token it handed out, and recovers by itself.
///
/// The outage is the PostgreSQL server itself stopped (a fast shutdown, which ends every session)
/// and started again: a server of the suite's own, so the suites that share the run's server go on.
@Suite("PostgreSQL: a serve node through a database outage", .timeLimit(.minutes(10)))
struct PostgresOutageTests {
    /// What the load saw.
    final class Load: Sendable {
        private let state = Mutex<(statuses: [Int: Int], tokens: [String], badBodies: [String], failures: [String])>(([:], [], [], []))

        func record(_ status: Int, token: String?, body: String) {
            state.withLock { state in
                state.statuses[status, default: 0] += 1
                if let token { state.tokens.append(token) }
                if status == 503, !body.contains("\"temporarily_unavailable\"") { state.badBodies.append(body) }
            }
        }

        /// A request that got no answer (status -1), with what the client said and when.
        func recordFailure(_ error: any Error, at instant: ContinuousClock.Instant, started: ContinuousClock.Instant) {
            state.withLock { state in
                state.statuses[-1, default: 0] += 1
                state.failures.append("\(error) after \(instant - started), sent \(started - self.created) into the test")
            }
        }

        /// When the load began.
        let created = ContinuousClock.now

        var statuses: [Int: Int] { state.withLock { $0.statuses } }
        var tokens: [String] { state.withLock { $0.tokens } }
        var badBodies: [String] { state.withLock { $0.badBodies } }
        var failures: [String] { state.withLock { $0.failures } }
        func count(_ status: Int) -> Int { statuses[status] ?? 0 }
    }

    /// Tells the load to stop.
    final class StopFlag: Sendable {
        private let raised = Mutex(false)
        func raise() { raised.withLock { $0 = true } }
        var isRaised: Bool { raised.withLock { $0 } }
    }

    @Test("503 while the database is gone, never 500; discovery and JWKS from memory; every token handed out is in the ledger; recovery without a restart")
    func outageMidLoad() async throws {
        let server = try await TestPostgres.dedicatedServer()
        let deployment = try PostgresServeNodesTests.Deployment(on: server.database)
        defer { deployment.remove() }
        let database = deployment.database, environment = deployment.environment
        let (port, _) = try CLIServeProductionTests.ports()
        let node = try await PostgresServeNodesTests.node(database.settings.description, port: port, environment: environment)
        defer { node.stop() }
        let daemon = try #require(PostgresServeNodesTests.credentials(node.text, issuer: "contoso")["confidential client"])
        let base = "http://127.0.0.1:\(port)", issuer = base + "/contoso"
        // A generous deadline, not a latency target: a request caught by the stop may wait out one
        // statement's deadline (5 s) and then a connection's (5 s) before its 503.
        let http = DrillHTTP(requestTimeout: .seconds(30))
        defer { Task { await http.shutdown() } }

        let load = Load()
        let stop = StopFlag()
        let workers = (0..<2).map { _ in
            Task {
                while !stop.isRaised {
                    let sent = ContinuousClock.now
                    do {
                        let reply = try await http.postForm(issuer + "/token", [("grant_type", "client_credentials"),
                                                                                ("scope", "api://mail/.default")], basic: daemon)
                        load.record(reply.status, token: reply.status == 200 ? reply.json?["access_token"]?.stringValue : nil,
                                    body: reply.text)
                    } catch {
                        load.recordFailure(error, at: ContinuousClock.now, started: sent)
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        #expect(await eventually(within: 30) { load.count(200) >= 5 }, "the node issues tokens before the outage: \(load.statuses)")
        // Discovery and JWKS are served before the outage, as a relying party would have fetched them.
        let jwks = try await http.get(issuer + "/jwks")
        #expect(jwks.status == 200)
        #expect(try await http.get(issuer + "/.well-known/openid-configuration").status == 200)

        try await server.stop()
        let stopped = ContinuousClock.now
        let before503 = load.count(503)
        #expect(await eventually(within: 30) { load.count(503) >= before503 + 3 }, "token requests fail closed: \(load.statuses)")
        let ready = try await http.get(base + "/health/ready")
        #expect(ready.status == 503, "ready: \(ready.status) \(ready.text)")
        #expect(try await http.get(base + "/health/live").status == 200)
        #expect(try await http.get(issuer + "/.well-known/openid-configuration").status == 200, "discovery from memory")
        // The admin API fails closed too: 503 with an OAuth error body, not 500.
        let adminToken = try #require(node.text.split(separator: " ").first { $0.hasPrefix("kba_") }.map { String($0.prefix { $0 != ")" }) })
        let adminDuring = try await http.get(base + "/admin/alerts", bearer: adminToken)
        #expect(adminDuring.status == 503 && adminDuring.text.contains("temporarily_unavailable"),
                "admin during the outage: \(adminDuring.status) \(adminDuring.text)")
        let jwksDuring = try await http.get(issuer + "/jwks")
        #expect(jwksDuring.status == 200 && jwksDuring.text == jwks.text, "the JWKS from memory: \(jwksDuring.status)")

        // 45 s down at least: long enough for the pool's own back-off to grow to several seconds
        // (without the pool's renewal the node took 8.5 s to issue again, and a request waited
        // out the client's 10 s).
        try await Task.sleep(until: stopped + .seconds(45))
        try await server.start()
        let restarted = ContinuousClock.now, before200 = load.count(200)
        #expect(await eventually(within: 60) { load.count(200) >= before200 + 5 },
                "the node recovers by itself: \(load.statuses)\n\(node.text.suffix(6_000))")
        // Not a latency target (that is the benchmarks'): printed for the note.
        print("PostgresOutageTests: tokens again \(ContinuousClock.now - restarted) after the restart")
        #expect(await eventually(within: 30) { (try? await http.get(base + "/health/ready").status) == 200 })
        stop.raise()
        for worker in workers { await worker.value }

        #expect(load.count(500) == 0, "never a 500: \(load.statuses)")
        #expect(load.badBodies.isEmpty, "every 503 has an OAuth error body: \(load.badBodies.prefix(2))")
        let quietLog = node.text.split(separator: "\n").filter { !$0.contains("store unavailable") }.suffix(40).joined(separator: "\n")
        #expect(Set(load.statuses.keys).isSubset(of: [200, 503]),
                "\(load.statuses); no answer: \(load.failures); PostgreSQL stopped \(stopped - load.created) and restarted \(restarted - load.created) into the test; the node's log but its 503s:\n\(quietLog)")
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
