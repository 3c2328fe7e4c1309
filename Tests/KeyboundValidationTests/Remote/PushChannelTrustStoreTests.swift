import Foundation
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
import Testing

/// What the push channel relies on in `RemoteTrustStore`: revoked keys stay revoked, refreshes on demand.
@Suite("Resource side: push channel, revoked keys in the remote trust store")
struct PushChannelTrustStoreTests {
    static let issuer = RemoteTrustFixture.issuer

    static func code(_ key: SigningKey, _ store: RemoteTrustStore) throws -> RejectionCode? {
        try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key), store).rejection?.code
    }

    @Test("a revoked key that then leaves the JWKS stays revoked: its tokens keep the alert code key_revoked")
    func revokedThenGone() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let next = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key], maxAge: 0)
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider)
        await store.refreshAll()
        store.revoke(issuer: Self.issuer, keyID: key.keyID)
        provider.setKeys([next])
        #expect(await store.refreshNow(issuer: Self.issuer))
        #expect(try Self.code(key, store) == .keyRevoked)
        #expect(try Self.code(next, store) == nil)
    }

    @Test("a revocation that arrives after a refresh already dropped the key brings it back as revoked")
    func goneThenRevoked() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key], maxAge: 0)
        let cache = VerifiedTokenCache()
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider, cache: cache)
        await store.refreshAll()
        provider.setKeys([])
        #expect(await store.refreshNow(issuer: Self.issuer))
        #expect(try Self.code(key, store) == .unknownKey)
        store.revoke(issuer: Self.issuer, keyID: key.keyID)
        #expect(try Self.code(key, store) == .keyRevoked)
    }

    @Test("refreshNow bypasses the unknown-kid rate limit; an unconfigured issuer is never fetched")
    func refreshNowBypassesRateLimit() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider)
        await store.refreshAll()
        let next = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        provider.setKeys([key, next])
        #expect(await store.refreshForUnknownKey(issuer: Self.issuer, keyID: next.keyID) == false, "rate-limited")
        #expect(await store.refreshNow(issuer: Self.issuer))
        #expect(try Self.code(next, store) == nil)
        let before = provider.fetches
        #expect(await store.refreshNow(issuer: "https://evil.example") == false)
        #expect(provider.fetches == before)
    }
}
