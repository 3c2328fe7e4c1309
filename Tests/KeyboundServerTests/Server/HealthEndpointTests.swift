import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Synchronization
import Testing

/// `/health/live` and `/health/ready`: liveness for supervisors, readiness for load balancers.
@Suite("Server: liveness and readiness")
struct HealthEndpointTests {
    @Test("live and ready answer 200 on a sound node, and ready names each store it checked")
    func soundNode() async throws {
        let setup = try await ServerEndpointTests.Setup()
        defer { setup.remove() }
        try await setup.app.test(.router) { client in
            for path in ["/health", "/health/live"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    let body = try ServerEndpointTests.json(response.body)
                    #expect(body["status"] == .string("ok"))
                }
            }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                let body = try ServerEndpointTests.json(response.body)
                #expect(body["status"] == .string("ready"))
                #expect(body["checks"] == .object(JSONObject(["key_store": .string("ok"), "provider_store": .string("ok")])))
            }
        }
    }

    @Test("a check that fails: ready is 503 and names it (no error text), live stays 200")
    func failingCheck() async throws {
        let readiness = Readiness(probes: [Readiness.Probe(name: "key_store") { true }, Readiness.Probe(name: "provider_store") { false }])
        let router = Router()
        HealthEndpoints(readiness: readiness).register(on: router)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try ServerEndpointTests.json(response.body)
                #expect(body["status"] == .string("unavailable"))
                #expect(body["checks"] == .object(JSONObject(["key_store": .string("ok"), "provider_store": .string("failing")])))
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// A probe that counts its calls and answers what it is told.
    final class CountingProbe: Sendable {
        let calls = Atomic<Int>(0)
        let passes = Atomic<Bool>(true)
        let delayMilliseconds: Int

        init(delayMilliseconds: Int = 0) { self.delayMilliseconds = delayMilliseconds }

        var probe: Readiness.Probe {
            Readiness.Probe(name: "counted") {
                self.calls.add(1, ordering: .relaxed)
                if self.delayMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(self.delayMilliseconds)) }
                return self.passes.load(ordering: .relaxed)
            }
        }
    }

    @Test("the unauthenticated route is bounded: callers within the cache time share one round of probes")
    func bounded() async throws {
        let counter = CountingProbe(delayMilliseconds: 50)
        let time = Mutex<Double>(100)
        let readiness = Readiness(probes: [counter.probe], cacheSeconds: 1, clock: { time.withLock { $0 } })
        let reports = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 { group.addTask { await readiness.report().isReady } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.count == 200 && reports.allSatisfy { $0 })
        #expect(counter.calls.load(ordering: .relaxed) == 1, "200 concurrent callers, one probe")
        // Within the cache time: the same report, no new probe, even after the store failed.
        counter.passes.store(false, ordering: .relaxed)
        time.withLock { $0 += 0.5 }
        #expect(await readiness.report().isReady)
        #expect(counter.calls.load(ordering: .relaxed) == 1)
        // After it: a new round sees the failure, and later the recovery.
        time.withLock { $0 += 1 }
        #expect(await !readiness.report().isReady)
        counter.passes.store(true, ordering: .relaxed)
        time.withLock { $0 += 1.5 }
        #expect(await readiness.report().isReady)
        #expect(counter.calls.load(ordering: .relaxed) == 3)
    }

    @Test("a probe that hangs counts as failing once its time is up (the run's time limit fails a report that waits for it)",
          .timeLimit(.minutes(1)))
    func hangingProbe() async throws {
        let readiness = Readiness(probes: [Readiness.Probe(name: "stuck") {
            try? await Task.sleep(for: .seconds(3_600))
            return true
        }], probeTimeoutSeconds: 0.2)
        let report = await readiness.report()
        #expect(!report.isReady && report.checks.map(\.name) == ["stuck"])
    }
}
