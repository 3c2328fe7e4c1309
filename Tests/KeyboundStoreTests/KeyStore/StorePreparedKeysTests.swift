import Foundation
import Keybound
@testable import KeyboundStore
import Synchronization
import Testing

/// Keys are made before the key store's write transaction opens (``PreparedKeys``): an RSA key's
/// prime search never holds the transaction, which on PostgreSQL every node's writer waits on.
@Suite("Key store: keys are made before the write transaction opens")
struct StorePreparedKeysTests {
    /// A key store that marks the tasks running inside its write transactions.
    struct MarkingKeyStore: KeyStore {
        @TaskLocal static var insideWrite = false
        let base: any KeyStore

        func read<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
            try await base.read(body)
        }

        func write<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
            try await base.write { session in try await Self.$insideWrite.withValue(true) { try await body(session) } }
        }

        var localWriteCount: Int { base.localWriteCount }
        var commits: StoreObservers<Void> { base.commits }
    }

    /// Where the keys of `work` were made: inside a write transaction, or outside.
    static func count(_ work: () async throws -> Void) async throws -> (inside: Int, outside: Int) {
        let counts = Mutex((inside: 0, outside: 0))
        try await KeyGeneration.$willGenerate.withValue({ _ in
            counts.withLock { MarkingKeyStore.insideWrite ? ($0.inside += 1) : ($0.outside += 1) }
        }) {
            try await work()
        }
        return counts.withLock { $0 }
    }

    @Test("issuer creation, rotation, revocation and the scheduled tick make every key outside the transaction", arguments: StoreBackend.allCases)
    func outside(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let manager = try await KeyManager(store: MarkingKeyStore(base: try fixture.openStore()), kek: fixture.kek)
        let issuer = StoreIssuers.tenant(algorithm: .rs256)
        var clock = StoreClock()

        let created = try await Self.count { try await manager.createIssuer(issuer) }
        #expect(created.inside == 0 && created.outside == KeyPurpose.allCases.count, "\(created)")

        let active = try #require(try await manager.keys(issuerID: issuer.id).first { $0.state == .active && $0.purpose == .accessToken })
        let revoked = try await Self.count {
            try await manager.revoke(issuerID: issuer.id, keyID: active.keyID, reason: "leaked", actor: "test", now: clock.now)
        }
        #expect(revoked.inside == 0 && revoked.outside == 1, "the emergency key: \(revoked)")

        let rotated = try await Self.count { try await manager.rotate(issuerID: issuer.id, purposes: [.accessToken], now: clock.now) }
        #expect(rotated.inside == 0 && rotated.outside == 1, "\(rotated)")

        // A scheduled rotation: the next keys are published a lead time before the period ends.
        clock.advance(StoreIssuers.rotationPeriod)
        let ticked = try await Self.count { _ = try await manager.tick(now: clock.now) }
        #expect(ticked.inside == 0 && ticked.outside >= 1, "\(ticked)")

        // Every key the prepared path made is usable and bound to its issuer and kid.
        for key in try await manager.keys(issuerID: issuer.id) where key.state == .active {
            let signing = try await manager.signingKey(issuerID: issuer.id, purpose: key.purpose)
            #expect(signing.keyID == key.keyID)
        }
        let events = try await manager.events()
        #expect(Set(events.map(\.keyID)).count == (try await manager.keys(issuerID: issuer.id)).count, "every key recorded once")
    }

    @Test("a create refused for a taken id or URL makes no key at all")
    func refusedCreateMakesNothing() async throws {
        let fixture = try await StoreFixture(issuers: [StoreIssuers.tenant(algorithm: .rs256)])
        defer { fixture.remove() }
        let manager = try await KeyManager(store: MarkingKeyStore(base: try fixture.openStore()), kek: fixture.kek)
        var sameURL = StoreIssuers.tenant("fabrikam", tenantID: "t-fabrikam", algorithm: .rs256)
        sameURL.url = StoreIssuers.url("contoso")
        for issuer in [StoreIssuers.tenant(tenantID: "t-other", algorithm: .rs256), sameURL] {
            var error: StoreError?
            let counted = try await Self.count {
                do { try await manager.createIssuer(issuer) } catch let refused as StoreError { error = refused }
            }
            #expect(error?.code == .issuerExists, "\(issuer.id)")
            #expect(counted.inside == 0 && counted.outside == 0, "\(issuer.id): \(counted)")
        }
    }

    @Test("the counting is real: a plan applied without preparing makes its keys inside the transaction")
    func fallbackIsInside() async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let manager = try await KeyManager(store: MarkingKeyStore(base: try fixture.openStore()), kek: fixture.kek)
        let issuer = StoreIssuers.tenant(algorithm: .es256)
        let store = manager.store
        let counted = try await Self.count {
            _ = try await store.write { session in
                try await session.insert(issuer)
                return try await manager.applyPlan(session, now: issuer.createdAt, actor: "test")
            }
        }
        #expect(counted.inside == KeyPurpose.allCases.count && counted.outside == 0, "\(counted)")
        // A prepared key whose issuer (id or URL, by exact bytes), purpose, algorithm or KEK does
        // not match is not taken. "café" in NFD is the same String as in NFC to Swift's ==, not
        // the same bytes.
        let composed = StoreIssuers.tenant("caf\u{E9}", tenantID: "t-cafe")
        var decomposed = composed
        decomposed.id = "cafe\u{301}"
        #expect(decomposed.id == composed.id, "Swift's == takes the two spellings for one")
        let prepared = await manager.preparing([(composed, .accessToken)]).prepared
        let kek = fixture.kek.fingerprint
        #expect(prepared?.take(issuer: decomposed, purpose: .accessToken, algorithm: .es256, kekFingerprint: kek) == nil)
        var moved = composed
        moved.url += "/other"
        #expect(prepared?.take(issuer: moved, purpose: .accessToken, algorithm: .es256, kekFingerprint: kek) == nil)
        #expect(prepared?.take(issuer: composed, purpose: .idToken, algorithm: .es256, kekFingerprint: kek) == nil)
        #expect(prepared?.take(issuer: composed, purpose: .accessToken, algorithm: .edDSA, kekFingerprint: kek) == nil)
        #expect(prepared?.take(issuer: composed, purpose: .accessToken, algorithm: .es256, kekFingerprint: "other") == nil)
        #expect(prepared?.take(issuer: composed, purpose: .accessToken, algorithm: .es256, kekFingerprint: kek) != nil)
        #expect(prepared?.count == 0, "taken once")
    }
}
