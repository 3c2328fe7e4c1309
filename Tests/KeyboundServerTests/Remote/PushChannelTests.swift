import Foundation
import HTTPTypes
import Hummingbird
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundServer
import KeyboundStore
import Logging
import Synchronization
import Testing
import KeyboundTesting
import KeyboundHummingbirdTesting

/// The notices a subscriber reported, in order.
final class NoticeLog: Sendable {
    private let notices = Mutex<[(notice: KeyEventNotice, at: ContinuousClock.Instant)]>([])
    func record(_ notice: KeyEventNotice) { notices.withLock { $0.append((notice, .now)) } }
    var all: [KeyEventNotice] { notices.withLock { $0.map(\.notice) } }
    func first(_ match: (KeyEventNotice) -> Bool) -> (notice: KeyEventNotice, at: ContinuousClock.Instant)? {
        notices.withLock { $0.first { match($0.notice) } }
    }
}

/// The push channel end to end, against a live Keybound provider over HTTP.
@Suite("Resource side: push channel, live provider")
struct PushChannelLiveTests {
    @Test("a key revoked at the provider is rejected by a connected validator within 3 s, and its cached tokens are dropped")
    func liveRevocation() async throws {
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let issuer = base + "/consumers"
        let fixture = try await ProviderFixture(publicURL: base)
        defer { fixture.remove() }
        var quiet = Logger(label: "push-channel")
        quiet.logLevel = .critical
        let app = Application(router: KeyboundApplication.router(context: fixture.context),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let server = GracefulServer(app)
        defer { server.cancel() }

        let cache = VerifiedTokenCache()
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: issuer)]), cache: cache)
        let log = NoticeLog()
        let subscriber = KeyEventSubscriber(store: store, onEvent: { log.record($0) })
        let subscription = Task { await subscriber.run() }
        defer { subscription.cancel() }
        #expect(await eventually(within: 30) { subscriber.state(of: issuer) == .connected && store.isLoaded(issuer) },
                "\(String(describing: subscriber.state(of: issuer))), \(subscriber.connectionCount(of: issuer)) connections: \(subscriber.lastError(of: issuer) ?? "") / \(store.lastError(issuer) ?? "")")

        let manager = fixture.context.manager
        let active = try await manager.signingKey(issuerID: "consumers")
        let token = try RemoteTrustFixture.token(active, issuer: issuer, tenantID: IssuerRecord.wellKnownConsumerTenantID)
        let policy = try VerificationPolicy(audience: "api://mail")
        let caching = CachingTokenVerifier(cache: cache) { TokenVerifier(trust: store.trustStore(), policy: policy) }
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.identity(for: token, now: Date()) != nil)

        try await manager.revoke(issuerID: "consumers", keyID: active.keyID, reason: "drill", actor: "test", now: Date())
        let revokedAt = ContinuousClock.now
        let rejected = await eventually(within: 3) { await caching.verify(token).failureCode == .keyRevoked }
        let last = await caching.verify(token)
        #expect(rejected, "still \(last) after 3 s")
        #expect(cache.identity(for: token, now: Date()) == nil)
        let notice = try #require(log.first { $0.kind == "revoked" })
        #expect(notice.notice.keyID == active.keyID && notice.notice.action == .revoked && notice.notice.issuer == issuer)
        // Wall time, generously bounded: the validator shares this process's threads with every other test.
        #expect(notice.at - revokedAt < .seconds(10), "applied \(notice.at - revokedAt) after the revocation")
        // Applied while the stream stayed open: chunks arrive incrementally, not at the end of a response.
        #expect(subscriber.connectionCount(of: issuer) == 1)
        #expect(subscriber.state(of: issuer) == .connected)

        // The emergency replacement key is picked up through the events that follow, and the revoked
        // key keeps its alert code though the provider no longer publishes it.
        let replacement = try await manager.signingKey(issuerID: "consumers")
        #expect(replacement.keyID != active.keyID)
        let fresh = try RemoteTrustFixture.token(replacement, issuer: issuer, tenantID: IssuerRecord.wellKnownConsumerTenantID)
        #expect(await eventually(within: 3) { (try? await caching.verify(fresh).get()) != nil })
        #expect(await eventually(within: 3) {
            log.all.contains { $0.kind == "activated" && $0.keyID == replacement.keyID && $0.action == .refreshed(succeeded: true) }
        })
        await #expect(caching.verify(token).failureCode == .keyRevoked)

        subscription.cancel()
        await subscription.value
        #expect(subscriber.state(of: issuer) == .stopped)
        server.cancel()
        _ = await server.result
    }
}
