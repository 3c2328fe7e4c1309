import Foundation
import Hummingbird
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
@testable import KeyboundStore
import Testing
import KeyboundTesting

/// `/<issuer>/key-events` is public but bounded, and no open stream polls the store: anonymous
/// streams are capped per address and in total, server clients have reserved slots, and streams
/// are woken by the stores' writes (one poller per issuer for other processes).
@Suite("Provider: event stream bounds and wake-ups", .serialized)
struct EventStreamBoundsTests {
    static let basicDaemon = ["Authorization": ProviderFixture.basic("daemon", ProviderFixture.secret)]

    @Test("with the anonymous cap full, the next anonymous stream gets 503 + Retry-After; an authenticated validator still connects and receives a revocation")
    func reservedSlots() async throws {
        let limits = StreamLimits(anonymousPerAddress: 2, anonymousTotal: 2, authenticatedTotal: 4, authenticatedPerClient: 2,
                                  retryAfterSeconds: 7)
        let live = try await LiveProvider.start(streamLimits: limits)
        defer { Task { await live.stop() } }
        let url = live.base + "/contoso/key-events"
        let anonymous = [try await LiveEventStream.open(url), try await LiveEventStream.open(url)]
        defer { for stream in anonymous { stream.close() } }
        #expect(anonymous.map(\.status) == [200, 200])

        let refused = try await LiveEventStream.open(url)
        defer { refused.close() }
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "7")
        #expect(await eventually(within: 5) { refused.text.contains("temporarily_unavailable") }, "\(refused.text)")
        let body = try StrictJSONParser.parseObject(Array(refused.text.utf8))
        #expect(body["error"] == .string("temporarily_unavailable"))
        #expect(body["error_description"]?.stringValue?.isEmpty == false)

        // The reserved pool: daemon serves api://mail at contoso.
        let validator = try await LiveEventStream.open(url, headers: Self.basicDaemon)
        defer { validator.close() }
        #expect(validator.status == 200)
        // A wrong secret is refused, not downgraded to an anonymous stream.
        let wrong = try await LiveEventStream.open(url, headers: ["Authorization": ProviderFixture.basic("daemon", "wrong")])
        defer { wrong.close() }
        #expect(wrong.status == 401)

        let manager = live.fixture.context.manager
        let active = try await manager.signingKey(issuerID: "contoso")
        try await manager.revoke(issuerID: "contoso", keyID: active.keyID, reason: "drill", actor: "test", now: Date())
        #expect(await eventually(within: 10) { validator.data.contains { $0["kind"] == .string("revoked") && $0["kid"] == .string(active.keyID) } },
                "received: \(validator.text)")
        // So do the anonymous streams that got in.
        #expect(await eventually(within: 10) { anonymous.allSatisfy { $0.data.contains { $0["kind"] == .string("revoked") } } })
        // The per-client cap of the reserved pool holds too.
        let second = try await LiveEventStream.open(url, headers: Self.basicDaemon)
        let third = try await LiveEventStream.open(url, headers: Self.basicDaemon)
        defer { second.close(); third.close() }
        #expect(second.status == 200)
        #expect(third.status == 503)
    }

    @Test("a stream is woken by this process's writes at once, without polling (a one-hour poll interval)")
    func inProcessWakeUp() async throws {
        let live = try await LiveProvider.start(streamLimits: StreamLimits(pollInterval: .seconds(3_600)))
        defer { Task { await live.stop() } }
        let stream = try await LiveEventStream.open(live.base + "/consumers/key-events")
        defer { stream.close() }
        #expect(stream.status == 200)
        let manager = live.fixture.context.manager
        let active = try await manager.signingKey(issuerID: "consumers")
        try await manager.revoke(issuerID: "consumers", keyID: active.keyID, reason: "drill", actor: "test", now: Date())
        #expect(await eventually(within: 10) { stream.data.contains { $0["kid"] == .string(active.keyID) && $0["kind"] == .string("revoked") } },
                "received: \(stream.text)")
    }

    @Test("another process's write reaches the streams through one poller per issuer, which stops with the issuer's last stream")
    func oneProcessPollerPerIssuer() async throws {
        let live = try await LiveProvider.start(streamLimits: StreamLimits(anonymousPerAddress: 16, anonymousTotal: 16, pollInterval: .milliseconds(50),
                                                                           keepAliveInterval: .milliseconds(300)))
        defer { Task { await live.stop() } }
        let hub = live.fixture.context.streams
        var streams: [LiveEventStream] = []
        for _ in 0..<5 { streams.append(try await LiveEventStream.open(live.base + "/contoso/key-events")) }
        for _ in 0..<3 { streams.append(try await LiveEventStream.open(live.base + "/consumers/key-events")) }
        #expect(streams.allSatisfy { $0.status == 200 })
        #expect(await eventually(within: 5) { hub.pollers == 2 }, "\(hub.pollers) pollers for 8 streams of 2 issuers")

        // "Another process": a second key store instance over the same file, whose commits this
        // process's hub is not told of.
        let other = try await KeyManager(store: try SQLiteKeyStore(directory: live.fixture.directory), kek: live.fixture.context.manager.sealer.kek)
        let active = try await other.signingKey(issuerID: "contoso")
        try await other.revoke(issuerID: "contoso", keyID: active.keyID, reason: "from the CLI", actor: "test", now: Date())
        #expect(await eventually(within: 10) {
            streams.prefix(5).allSatisfy { $0.data.contains { $0["kid"] == .string(active.keyID) && $0["kind"] == .string("revoked") } }
        })
        #expect(streams.suffix(3).allSatisfy { stream in !stream.data.contains { $0["kid"] == .string(active.keyID) } })
        for stream in streams { stream.close() }
        // A closed stream is noticed when a write fails (the keep-alives, every 300 ms here).
        #expect(await eventually(within: 10) { hub.pollers == 0 }, "\(hub.pollers) pollers left after every stream closed")
        let open = live.fixture.context.streamLimiter.open
        #expect(open.anonymous == 0 && open.authenticated == 0, "every slot is free again")
    }
}
