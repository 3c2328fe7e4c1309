import Foundation
import GRDB
import Keybound
import KeyboundStore
import Testing

/// Key purposes: each issuer has an access-token key (its own algorithm) and an RS256 ID-token key,
/// each a lifecycle of its own, with ONE ACTIVE KEY PER (issuer, purpose), in the engine and in
/// the SQLite schema.
@Suite("Key store: key purposes (access tokens, ID tokens)")
struct StoreKeyPurposeTests {
    static let t0 = StoreClock.origin

    static func active(_ manager: KeyManager, _ issuerID: String, _ purpose: KeyPurpose) async throws -> [KeyRecord] {
        try await manager.keys(issuerID: issuerID).filter { $0.state == .active && $0.purpose == purpose }
    }

    @Test("a new issuer gets one active key per purpose: its own algorithm for access tokens, RS256 for ID tokens",
          arguments: StoreBackend.allCases, [JWSAlgorithm.es256, .edDSA, .rs256])
    func initialKeys(backend: StoreBackend, algorithm: JWSAlgorithm) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let applied = try await manager.createIssuer(StoreIssuers.consumer(algorithm: algorithm))
        #expect(applied == [.createInitialKey(issuerID: "consumers", purpose: .accessToken),
                            .createInitialKey(issuerID: "consumers", purpose: .idToken)])
        let access = try await Self.active(manager, "consumers", .accessToken)
        let id = try await Self.active(manager, "consumers", .idToken)
        #expect(access.count == 1 && id.count == 1)
        #expect(access.first?.algorithm == algorithm)
        #expect(id.first?.algorithm == .rs256)
        #expect(access.first?.keyID != id.first?.keyID)
        // Both are published, each with its own kid, use: sig and alg, bound to the issuer.
        let published = try await manager.publishedKeySet(issuerID: "consumers")["keys"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(published.count == 2)
        for (record, expected) in [(access[0], algorithm), (id[0], JWSAlgorithm.rs256)] {
            let jwk = try #require(published.first { $0["kid"] == .string(record.keyID) })
            #expect(jwk["use"] == .string("sig"))
            #expect(jwk["alg"] == .string(expected.rawValue))
            #expect(jwk["issuer"] == .string(StoreIssuers.url("consumers")))
            #expect(jwk["d"] == nil)
        }
        // The signing keys open to the right purpose and are sealed to the issuer.
        await #expect(try manager.signingKey(issuerID: "consumers", purpose: .idToken).keyID == id[0].keyID)
        await #expect(try manager.signingKey(issuerID: "consumers").keyID == access[0].keyID)
        await #expect(try manager.signingKey(issuerID: "consumers", purpose: .idToken).issuer == StoreIssuers.url("consumers"))
    }

    @Test("the ID-token key rotates on its own: published, activated after the lead time, the old one verify-only, then retired", arguments: StoreBackend.allCases)
    func rotationPerPurpose(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let accessKey = try await Self.active(manager, "consumers", .accessToken)[0]
        let oldID = try await Self.active(manager, "consumers", .idToken)[0]
        let now = Self.t0.addingTimeInterval(StoreClock.hour)
        let applied = try await manager.rotate(issuerID: "consumers", purposes: [.idToken], now: now)
        #expect(applied.isEmpty)
        let pending = try await manager.keys("consumers", in: .pending, purpose: .idToken)
        #expect(pending.count == 1 && pending.first?.algorithm == .rs256)
        await #expect(try manager.keys("consumers", in: .pending).isEmpty, "no access-token key was published")
        let due = now.addingTimeInterval(StoreIssuers.publishLeadTime)
        await #expect(try manager.tick(now: due) == [.activate(issuerID: "consumers", keyID: pending[0].keyID, emergencyReason: nil, purpose: .idToken)])
        await #expect(try Self.active(manager, "consumers", .idToken).map(\.keyID) == [pending[0].keyID])
        await #expect(try Self.active(manager, "consumers", .accessToken).map(\.keyID) == [accessKey.keyID], "the access-token key is untouched")
        let demoted = try await #require(try manager.keys(issuerID: "consumers").first { $0.keyID == oldID.keyID })
        #expect(demoted.state == .verifyOnly)
        let until = try #require(demoted.verifyUntil)
        await #expect(try manager.tick(now: until) == [.retire(issuerID: "consumers", keyID: oldID.keyID, purpose: .idToken)])
        // The scheduled rotation of each purpose follows its own key's age.
        let report = try await manager.status(now: due)
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.issuers[0].nextTransition?.contains("id-token: publish the next key") == true)
    }

    @Test("revoking the active ID-token key makes a fresh RS256 ID-token key take over; the access-token key stays", arguments: StoreBackend.allCases)
    func revocationPerPurpose(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let accessKey = try await Self.active(manager, "consumers", .accessToken)[0]
        let idKey = try await Self.active(manager, "consumers", .idToken)[0]
        let at = Self.t0.addingTimeInterval(StoreClock.minute)
        let revoked = try await manager.revoke(issuerID: "consumers", keyID: idKey.keyID, reason: "leaked", actor: "ops", now: at)
        #expect(revoked.state == .revoked && revoked.purpose == .idToken)
        let fresh = try await Self.active(manager, "consumers", .idToken)
        #expect(fresh.count == 1 && fresh[0].keyID != idKey.keyID && fresh[0].algorithm == .rs256)
        #expect(fresh[0].emergencyReason?.contains(idKey.keyID) == true)
        await #expect(try Self.active(manager, "consumers", .accessToken).map(\.keyID) == [accessKey.keyID])
        // The revoked key verifies nothing, and the trust projection says so.
        let trusted = try await #require(try manager.trustStore().issuer(StoreIssuers.url("consumers"))?.key(withID: idKey.keyID))
        #expect(trusted.lifecycle.revocation != nil)
        // Access-token verifiers can ask for access-token keys alone.
        let accessOnly = try await manager.trustStore(purposes: [.accessToken]).issuer(StoreIssuers.url("consumers"))
        #expect(accessOnly?.key(withID: fresh[0].keyID) == nil)
        #expect(accessOnly?.key(withID: accessKey.keyID) != nil)
    }

    // What the schema itself refuses (a second active key per purpose, a changed purpose) is
    // tested on both backends in StoreSchemaTests.

    @Test("a store from before key purposes migrates: its keys sign access tokens, and the next tick gives every issuer an active RS256 ID-token key")
    func migration() async throws {
        let kek = KeyEncryptionKey.generate()
        let old = try await StoreFixture.beforePurposes(kek: kek)
        defer { old.remove() }
        let manager = try await old.open()
        let keys = try await manager.keys()
        #expect(keys.count == 2 && keys.allSatisfy { $0.purpose == .accessToken && $0.state == .active })
        await #expect(throws: StoreError.self) { try await manager.signingKey(issuerID: "consumers", purpose: .idToken) }
        let before = try await manager.status(now: Self.t0)
        #expect(before.isHealthy, "\(before.problems)")
        #expect(before.issuers.allSatisfy { $0.nextTransition?.contains("create the initial ID-token key") == true })

        let applied = try await manager.tick(now: Self.t0.addingTimeInterval(StoreClock.minute))
        #expect(applied == [.createInitialKey(issuerID: "consumers", purpose: .idToken), .createInitialKey(issuerID: "contoso", purpose: .idToken)])
        for issuer in ["consumers", "contoso"] {
            let id = try await Self.active(manager, issuer, .idToken)
            #expect(id.count == 1 && id.first?.algorithm == .rs256, "\(issuer)")
            await #expect(try manager.signingKey(issuerID: issuer, purpose: .idToken).keyID == id.first?.keyID)
            await #expect(try manager.publishedKeyIDs(issuer).contains(id[0].keyID))
            await #expect(try Self.active(manager, issuer, .accessToken).count == 1)
        }
        await #expect(try manager.tick(now: Self.t0.addingTimeInterval(2 * StoreClock.minute)).isEmpty, "idempotent")
    }
}
