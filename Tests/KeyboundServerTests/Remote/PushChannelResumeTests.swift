import Foundation
import HTTPTypes
import Hummingbird
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
@testable import KeyboundStore
import Logging
import Synchronization
import Testing
import KeyboundTesting
import KeyboundHummingbirdTesting

/// The push channel against a scripted SSE server: resume, start-up order, limits, back-off.
@Suite("Resource side: push channel, resume and start-up")
struct PushChannelResumeTests {
    @Test("after a disconnect the subscriber resumes with Last-Event-ID, applies later events, and nothing twice; the JWKS loads only after the stream answered")
    func resume() async throws {
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let keys = try ["k1", "k2", "k3", "k4"].map { try SigningKey.generate(algorithm: .es256, issuer: base + "/iss", keyID: $0) }
        let iss = base + "/iss"
        let server = FakeEventServer(port: port, keys: keys, scripts: [
            // First connection: a revocation, a new key, an event of another issuer (ignored); then the provider goes away.
            "retry: 100\n" + FakeEventServer.event(10, "revoked", kid: "k1", iss: iss) + FakeEventServer.event(11, "created", kid: "k4", iss: iss)
                + FakeEventServer.event(12, "revoked", kid: "k2", iss: base + "/other"),
            // Second: a replay of 10 (must not be applied again), then a new revocation; stays open.
            FakeEventServer.event(10, "revoked", kid: "k1", iss: iss) + ": comment\n\n" + FakeEventServer.event(13, "revoked", kid: "k3", iss: iss),
        ])
        var quiet = Logger(label: "fake-sse")
        quiet.logLevel = .critical
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let serving = GracefulServer(app)
        defer { serving.cancel() }
        #expect(await server.waitUntilListening())

        let cache = VerifiedTokenCache()
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: iss)]), cache: cache)
        let log = NoticeLog()
        let subscriber = KeyEventSubscriber(store: store, onEvent: { log.record($0) })
        let subscription = Task { await subscriber.run() }
        defer { subscription.cancel() }

        // The key set is loaded again after the reconnect (the only reason for a fetch after it).
        let reloaded = await eventually(within: 10) {
            let streams = server.offsets("key-events")
            return log.all.count >= 3 && streams.count >= 2 && server.offsets("discovery").contains { $0 > streams[1] }
        }
        #expect(reloaded, "notices: \(log.all), requests: \(server.requests.map(\.path)), error: \(subscriber.lastError(of: iss) ?? "")")
        #expect(log.all.map(\.sequence).sorted() == [10, 11, 13], "each event applied exactly once: \(log.all)")
        #expect(log.all.first { $0.sequence == 11 }?.action == .refreshed(succeeded: true))

        let streams = server.requests.filter { $0.path == "key-events" }
        #expect(streams.count == 2)
        #expect(streams.first?.lastEventID == nil, "the first connection starts at the present")
        #expect(streams.dropFirst().first?.lastEventID == "12", "resumes after the last id seen, also one of another issuer")
        #expect(subscriber.lastEventID(of: iss) == "13")
        // The start-up race: nothing is fetched before the first stream answered.
        let firstStream = server.offsets("key-events").first ?? .max
        #expect(server.offsets("discovery").allSatisfy { $0 > firstStream })

        let trust = store.trustStore()
        func code(_ key: SigningKey) throws -> RejectionCode? {
            TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: "api://mail")).verify(try RemoteTrustFixture.token(key, issuer: iss)).rejection?.code
        }
        #expect(try code(keys[0]) == .keyRevoked)
        #expect(try code(keys[1]) == nil, "another issuer's event revoked nothing")
        #expect(try code(keys[2]) == .keyRevoked)
        #expect(try code(keys[3]) == nil)

        subscription.cancel()
        await subscription.value
        serving.cancel()
        _ = await serving.result
    }

    @Test("an event larger than 64 KiB drops the connection, which is then reopened; nothing of it is applied")
    func oversizedEvent() async throws {
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let key = try SigningKey.generate(algorithm: .es256, issuer: base + "/iss", keyID: "k1")
        let padding = String(repeating: "x", count: 70 * 1024)
        let server = FakeEventServer(port: port, keys: [key], scripts: [
            "id: 5\nevent: revoked\ndata: {\"sequence\":5,\"iss\":\"\(base)/iss\",\"kid\":\"k1\",\"kind\":\"revoked\",\"pad\":\"\(padding)\"}\n\n",
        ])
        var quiet = Logger(label: "fake-sse")
        quiet.logLevel = .critical
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let serving = GracefulServer(app)
        defer { serving.cancel() }
        #expect(await server.waitUntilListening())
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: server.issuer)]))
        let log = NoticeLog()
        let subscriber = KeyEventSubscriber(store: store, onEvent: { log.record($0) })
        let subscription = Task { await subscriber.run() }
        defer { subscription.cancel() }
        #expect(await eventually(within: 10) { subscriber.connectionCount(of: server.issuer) >= 2 })
        #expect(subscriber.lastError(of: server.issuer)?.contains("more than 65536 bytes") == true, "\(subscriber.lastError(of: server.issuer) ?? "")")
        #expect(log.all.isEmpty)
        #expect(server.requests.filter { $0.path == "key-events" }.allSatisfy { $0.lastEventID == nil }, "the oversized event's id was not taken")
        subscription.cancel()
        await subscription.value
        serving.cancel()
        _ = await serving.result
    }

    @Test("retry: from the provider sets the delay before the next attempt")
    func retryField() async throws {
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let key = try SigningKey.generate(algorithm: .es256, issuer: base + "/iss", keyID: "k1")
        let server = FakeEventServer(port: port, keys: [key], scripts: [
            "retry: 3000\n\n" + FakeEventServer.event(1, "created", kid: "k1", iss: base + "/iss"), ": second connection\n\n",
        ])
        var quiet = Logger(label: "fake-sse")
        quiet.logLevel = .critical
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let serving = GracefulServer(app)
        defer { serving.cancel() }
        #expect(await server.waitUntilListening())
        let subscriber = KeyEventSubscriber(store: RemoteTrustStore(configuration: try .init(issuers: [.init(url: server.issuer)])))
        let subscription = Task { await subscriber.run() }
        defer { subscription.cancel() }
        var delay: Duration?
        _ = await eventually(within: 10) {
            if case .waiting(let retryAfter) = subscriber.state(of: server.issuer) { delay = retryAfter }
            return delay != nil
        }
        let waited = try #require(delay)
        #expect(waited >= .milliseconds(2_250) && waited <= .seconds(3), "waits \(waited), not the default 0.25 s")
        #expect(subscriber.connectionCount(of: server.issuer) == 1)
        subscription.cancel()
        await subscription.value
        serving.cancel()
        _ = await serving.result
    }

    @Test("back-off: the base delay (or retry:) doubles per failure up to the cap, with at most a quarter of jitter")
    func backoff() {
        let cap = Duration.seconds(10)
        for _ in 0..<50 {
            let first = KeyEventSubscriber.backoff(failures: 0, base: .milliseconds(250), maximum: cap)
            #expect(first >= .milliseconds(187) && first <= .milliseconds(250))
            let third = KeyEventSubscriber.backoff(failures: 2, base: .milliseconds(250), maximum: cap)
            #expect(third >= .milliseconds(750) && third <= .milliseconds(1_000))
            let capped = KeyEventSubscriber.backoff(failures: 1_000, base: .milliseconds(250), maximum: cap)
            #expect(capped >= .milliseconds(7_500) && capped <= cap)
            let retry = KeyEventSubscriber.backoff(failures: 0, base: .seconds(3), maximum: cap)
            #expect(retry >= .milliseconds(2_250) && retry <= .seconds(3))
            let floor = KeyEventSubscriber.backoff(failures: 0, base: .zero, maximum: cap)
            #expect(floor >= .milliseconds(75), "retry: 0 does not make a tight loop")
        }
    }

    @Test("concurrent refreshes are coalesced, and a caller that arrives during a fetch gets a later fetch")
    func coalescing() async {
        let coalescer = RefreshCoalescer()
        let runs = Mutex(0)
        let gate = Mutex(false)
        let refresh: @Sendable () async -> Bool = {
            let run = runs.withLock { $0 += 1; return $0 }
            while run == 1, !gate.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            return run > 1
        }
        let first = Task { await coalescer.run(refresh) }
        #expect(await eventually(within: 5) { runs.withLock { $0 } == 1 })
        let late = (0..<10).map { _ in Task { await coalescer.run(refresh) } }
        #expect(await eventually(within: 5) { coalescer.waiting == 10 })
        gate.withLock { $0 = true }
        #expect(await first.value == false)
        for task in late { #expect(await task.value == true, "answered by the fetch that started before it asked") }
        #expect(runs.withLock { $0 } == 2)
    }
}
