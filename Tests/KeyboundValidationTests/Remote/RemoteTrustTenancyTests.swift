import Foundation
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
import Testing

/// A remote validator binds each issuer to the tenant its discovery document publishes
/// (`tenant_id`, `tenant_kind`) and applies its `max_token_lifetime`: a stolen key of one issuer
/// cannot name another issuer's tid, and no one-day default stands in for the issuer's own limit.
@Suite("Resource side: remote trust binds each issuer to its published tenant")
struct RemoteTrustTenancyTests {
    static let issuer = RemoteTrustFixture.issuer

    static func store(_ provider: FakeProvider, pinned: String? = nil) -> RemoteTrustStore {
        RemoteTrustStore(configuration: try! .init(issuers: [.init(url: issuer, tenantID: pinned)]), fetcher: provider)
    }

    @Test("a discovery document without tenant_id, tenant_kind or max_token_lifetime loads no keys", arguments: [
        "tenant_id", "tenant_kind", "max_token_lifetime",
    ])
    func missingMember(_ missing: String) async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        var tenancy = FakeProvider.tenancy
        tenancy[missing] = nil
        provider.publish(tenancy: tenancy)
        let store = Self.store(provider)
        await store.refreshAll()
        #expect(!store.isLoaded(Self.issuer))
        #expect(store.lastError(Self.issuer)?.contains(missing) == true, "\(store.lastError(Self.issuer) ?? "")")
        #expect(try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key), store).rejection?.code == .untrustedIssuer)
    }

    @Test("a pinned tid (--trust URL#tid) that the discovery document contradicts loads no keys")
    func pinnedDisagrees() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let store = Self.store(FakeProvider(issuer: Self.issuer, keys: [key]), pinned: "another-tid")
        await store.refreshAll()
        #expect(!store.isLoaded(Self.issuer))
        #expect(store.lastError(Self.issuer)?.contains("another-tid") == true)
    }

    @Test("tokens must carry exactly the published tid; another issuer's tid is tenant_mismatch")
    func tokensCarryPublishedTenant() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let store = Self.store(FakeProvider(issuer: Self.issuer, keys: [key]), pinned: RemoteTrustFixture.tenantID)
        await store.refreshAll()
        #expect(store.tenancy(Self.issuer) == .tenant(RemoteTrustFixture.tenantID))
        let own = try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key), store)
        #expect(own.token?.tenant == Tenant(issuer: Self.issuer, tenantID: RemoteTrustFixture.tenantID, kind: .tenant))
        let foreign = try RemoteTrustFixture.token(key, tenantID: "72f988bf-the-enterprise")
        #expect(try RemoteTrustFixture.verify(foreign, store).rejection?.code == .tenantMismatch)
    }

    @Test("a consumer realm's tokens verify as its own consumer tenant")
    func consumerRealm() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        provider.publish(tenancy: JSONObject(["tenant_id": .string("consumer-tid"), "tenant_kind": .string("consumer"),
                                              "max_token_lifetime": .number(3_600)]))
        let store = Self.store(provider)
        await store.refreshAll()
        let verified = try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key, tenantID: "consumer-tid"), store).token
        #expect(verified?.tenant?.kind == .consumer)
    }

    @Test("the issuer's published max_token_lifetime applies, not a one-day default")
    func publishedLifetime() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        var tenancy = FakeProvider.tenancy
        tenancy["max_token_lifetime"] = .number(120)
        provider.publish(tenancy: tenancy)
        let store = Self.store(provider)
        await store.refreshAll()
        // RemoteTrustFixture.token lives 300 s: over this issuer's 120 s.
        #expect(try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key), store).rejection?.code == .lifetimeTooLong)
    }

    @Test("a later discovery document that changes the tenancy is refused; the first one stays")
    func tenancyChangeRefused() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key], maxAge: 0)
        let store = Self.store(provider)
        await store.refreshAll()
        #expect(store.isLoaded(Self.issuer))
        provider.publish(tenancy: JSONObject(["tenant_id": .string("72f988bf-the-enterprise"), "tenant_kind": .string("tenant"),
                                              "max_token_lifetime": .number(3_600)]))
        #expect(await store.refreshNow(issuer: Self.issuer) == false)
        #expect(store.lastError(Self.issuer)?.contains("changed its tenancy") == true)
        #expect(store.tenancy(Self.issuer) == .tenant(RemoteTrustFixture.tenantID))
        let forged = try RemoteTrustFixture.token(key, tenantID: "72f988bf-the-enterprise")
        #expect(try RemoteTrustFixture.verify(forged, store).rejection?.code == .tenantMismatch)
    }
}
