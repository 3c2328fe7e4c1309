import Crypto
import Foundation
import Hummingbird
@testable import Keybound
@testable import KeyboundValidation
@testable import KeyboundServer
@testable import KeyboundStore
import Logging
import Testing
import KeyboundTesting
import KeyboundHummingbirdTesting

/// A validator holding contoso's issuance feed from a live provider: issued tokens arrive as they
/// are committed, and after the provider went away and came back, the validator resumes and holds
/// every token issued (and revoked) meanwhile. Deadlines are generous, never latency targets.
@Suite("Resource side: the issuance feed from a live provider", .serialized)
struct IssuanceFeedLiveTests {
    /// An access token of contoso for api://mail, as the ledger records it, with the digest of `payload`.
    static func record(_ payload: String) -> IssuanceRecord {
        let now = Date()
        return IssuanceRecord(issuerID: "contoso", keyID: "k1", tokenID: UUID().uuidString, kind: .access, subject: "daemon", clientID: "daemon",
                              audience: ["api://mail"], scope: "", roles: ["Mail.Read.All"], tenantID: nil, issuedAt: now,
                              expiresAt: now.addingTimeInterval(600), parentTokenID: nil, sessionID: nil, chainID: nil,
                              grantType: "client_credentials", claimsDigest: SHA256.hash(data: Array(payload.utf8)).map { String(format: "%02x", $0) }.joined())
    }

    static func holds(_ feed: IssuanceFeed, _ issuer: String, _ record: IssuanceRecord, payload: String) -> Bool {
        feed.issued.lookup(issuer: issuer, tokenID: record.tokenID, claimsDigest: Array(SHA256.hash(data: Array(payload.utf8)))) == .issued
    }

    @Test("issued tokens reach the set; after the provider restarts, the validator resumes and misses nothing")
    func resumesWithoutMissingAny() async throws {
        let live = try await LiveProvider.start()
        let issuer = live.base + "/contoso"
        let feed = IssuanceFeed()
        let revoked = RevokedTokens()
        var configuration = EventStreamConfiguration()
        configuration.initialBackoff = .milliseconds(100)
        configuration.maximumBackoff = .milliseconds(400)
        let subscriber = TokenEventSubscriber(issuers: [.init(url: issuer, credentials: .clientSecretBasic(clientID: "daemon", secret: ProviderFixture.secret))],
                                              revoked: revoked, cache: nil, issuance: feed, configuration: configuration)
        let running = Task { await subscriber.run() }
        defer { running.cancel() }
        #expect(await eventually(within: 30) { subscriber.isConnected }, "\(subscriber.lastError(of: issuer) ?? "")")
        #expect(await eventually(within: 10) { feed.feeds.isFresh(issuer: issuer, staleness: 30) && subscriber.hasCaughtUp(issuer) },
                "an open stream is a live feed, caught up with the provider's backlog")

        let before = Self.record("before")
        try await live.fixture.store.commit(IssuanceEntry(records: [before]))
        #expect(await eventually(within: 10) { Self.holds(feed, issuer, before, payload: "before") })
        #expect(feed.issued.lookup(issuer: issuer, tokenID: before.tokenID, claimsDigest: Array(SHA256.hash(data: Array("forged".utf8)))) == .claimsMismatch)

        // The provider goes away; while it is down, tokens are issued and one is revoked (by
        // another node of the same store, say).
        #expect(await live.shutDownGracefully(within: .seconds(10)))
        #expect(await eventually(within: 10) { !subscriber.isConnected })
        let during = (0..<3).map { Self.record("during \($0)") }
        for record in during { try await live.fixture.store.commit(IssuanceEntry(records: [record])) }
        try await live.fixture.store.revokeToken(issuerID: "contoso", tokenID: before.tokenID, reason: "test", kind: .clientRequest, now: Date())

        // It comes back on the same port, over the same store.
        var quiet = Logger(label: "live-streams")
        quiet.logLevel = .critical
        let port = try #require(URL(string: live.base)?.port)
        let again = GracefulServer(Application(router: KeyboundApplication.router(context: live.fixture.context),
                                               configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet))
        defer { again.cancel() }
        #expect(await eventually(within: 30) {
            during.enumerated().allSatisfy { Self.holds(feed, issuer, $1, payload: "during \($0)") }
                && revoked.isRevoked(issuer: issuer, tokenID: before.tokenID, now: Date())
        }, "\(subscriber.lastError(of: issuer) ?? "")")
        #expect(subscriber.connectionCount(of: issuer) >= 2)
        #expect(feed.feeds.isFresh(issuer: issuer, staleness: 30))
        running.cancel()
        await running.value
        _ = await again.stop(within: .seconds(10))
        live.fixture.remove()
    }
}
