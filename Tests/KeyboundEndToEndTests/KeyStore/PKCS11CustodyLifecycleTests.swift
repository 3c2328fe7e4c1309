import Foundation
import Keybound
import KeyboundPKCS11
import KeyboundStore
import Testing

/// An issuer in PKCS#11 custody goes through the whole key lifecycle with its keys inside a
/// SoftHSM2 token: created there, signing there, rotated, revoked, and its withdrawn keys'
/// private halves destroyed there, on both backends.
@Suite("Key store: PKCS#11 custody through the lifecycle")
struct PKCS11CustodyLifecycleTests {
    /// An issuer with a URL of its own, in PKCS#11 custody (the token is shared by the whole run).
    static func issuer(_ id: String) -> IssuerRecord {
        var issuer = StoreIssuers.consumer(id)
        issuer.url = "https://login.keybound.test/\(id)-\(UUID().uuidString.prefix(8))/v2.0"
        issuer.custody = .pkcs11
        return issuer
    }

    static func manager(_ fixture: StoreFixture, token: PKCS11Token) async throws -> KeyManager {
        try await KeyManager(store: try fixture.openStore(), kek: fixture.kek, custodian: PKCS11Custodian(token: token))
    }

    @Test("created, signing, rotated and revoked inside the token; withdrawn private halves destroyed there", arguments: StoreBackend.allCases)
    func lifecycle(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let manager = try await Self.manager(fixture, token: token)
        let issuer = Self.issuer("hsm")
        var clock = StoreClock()
        try await manager.createIssuer(issuer)

        // Both initial keys are in the token: nothing sealed, nothing under the KEK.
        let initial = try await manager.keys(issuerID: issuer.id)
        #expect(initial.count == 2)
        #expect(initial.allSatisfy { $0.custody == .pkcs11 && $0.sealedPrivateKey.isEmpty && $0.kekFingerprint.isEmpty })
        let first = try await manager.activeKey(issuer.id)
        for record in initial {
            #expect(try await token.privateValueReadResult(issuer: issuer.url, keyID: record.keyID, algorithm: record.algorithm) == "CKR_ATTRIBUTE_SENSITIVE")
        }
        await #expect(throws: StoreError.self) { try await manager.signingKey(issuerID: issuer.id) }

        // It signs inside the token, and the store's own trust projection verifies the token.
        let signed = try await manager.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: clock.now))
        #expect(try await StoreTokens.verdict(manager, signed.token, now: clock.now) == .verified)
        let idSigner = try await manager.signer(issuerID: issuer.id, purpose: .idToken)
        #expect(idSigner.key.algorithm == .rs256)

        // A rotation makes the next key in the token, which signs once it takes over.
        try await manager.rotate(issuerID: issuer.id, purposes: [.accessToken], now: clock.now)
        clock.advance(StoreIssuers.publishLeadTime + StoreClock.minute)
        try await manager.tick(now: clock.now)
        let second = try await manager.activeKey(issuer.id)
        #expect(second.keyID != first.keyID && second.custody == .pkcs11)
        let rotated = try await manager.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: clock.now))
        #expect(try await StoreTokens.verdict(manager, rotated.token, now: clock.now) == .verified)

        // Once every token it signed has expired the first key retires, and its private half is destroyed.
        let firstHandle = try await token.key(issuer: issuer.url, keyID: first.keyID, algorithm: first.algorithm)
        clock.advance(StoreIssuers.rotationPeriod)
        try await manager.tick(now: clock.now)
        let retired = try #require(try await manager.keys(issuerID: issuer.id).first { $0.keyID == first.keyID })
        #expect(retired.state == .retired)
        #expect(retired.privateKeyDestroyedAt == clock.now)
        let afterRetirement = await #expect(throws: PKCS11Error.self) { try await token.sign([1, 2, 3], with: firstHandle) }
        #expect(afterRetirement?.code == .keyNotFound)

        // A revocation of the active key: a replacement is made in the token and signs; the
        // revoked key's private half is destroyed at once.
        let current = try await manager.activeKey(issuer.id)
        let revoked = try await manager.revoke(issuerID: issuer.id, keyID: current.keyID, reason: "drill", actor: "test", now: clock.now)
        #expect(revoked.state == .revoked && revoked.privateKeyDestroyedAt == clock.now)
        let replacement = try await manager.activeKey(issuer.id)
        #expect(replacement.keyID != current.keyID && replacement.custody == .pkcs11)
        let currentHandle = try await token.key(issuer: issuer.url, keyID: current.keyID, algorithm: current.algorithm)
        await #expect(throws: PKCS11Error.self) { try await token.sign([1, 2, 3], with: currentHandle) }
        let afterRevocation = try await manager.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: clock.now))
        #expect(try await StoreTokens.verdict(manager, afterRevocation.token, now: clock.now) == .verified)

        // Another node (a second manager and connection) reads the same custody and signs with the same key.
        let otherToken = try await SoftHSMToken.open(sessions: 1)
        defer { Task { await otherToken.close() } }
        let otherNode = try await Self.manager(fixture, token: otherToken)
        let fromOtherNode = try await otherNode.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: clock.now))
        #expect(try await StoreTokens.verdict(manager, fromOtherNode.token, now: clock.now) == .verified)
    }

    @Test("without a configured token, an issuer in PKCS#11 custody can be neither created nor used: custody_unavailable")
    func withoutTokenFailsClosed() async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let plain = try await fixture.open()
        let created = await #expect(throws: StoreError.self) { try await plain.createIssuer(Self.issuer("nohsm")) }
        #expect(created?.code == .custodyUnavailable)
        #expect(try await plain.issuers().isEmpty)

        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let issuer = Self.issuer("later")
        try await Self.manager(fixture, token: token).createIssuer(issuer)
        let used = await #expect(throws: StoreError.self) { try await plain.signer(issuerID: issuer.id) }
        #expect(used?.code == .custodyUnavailable)
        // A software issuer beside it is untouched by the missing token.
        try await plain.createIssuer(StoreIssuers.tenant())
        let software = try await plain.signer(issuerID: "contoso")
        #expect(try await software.signedByCustodian(claims: StoreTokens.claims(StoreIssuers.tenant(), iat: StoreClock.origin)).token.isEmpty == false)
    }

    @Test("an issuer's custody and a key's are fixed: the database refuses to change them", arguments: StoreBackend.allCases)
    func custodyIsFixed(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        await #expect(throws: (any Error).self) { try await fixture.executeRaw("UPDATE issuer SET custody = 'pkcs11'") }
        await #expect(throws: (any Error).self) { try await fixture.executeRaw("UPDATE signing_key SET custody = 'pkcs11'") }
        let manager = try await fixture.open()
        #expect(try await manager.keys(issuerID: "consumers").allSatisfy { $0.custody == .software })
        #expect(try await manager.issuer(id: "consumers").custody == .software)
    }

    @Test("while one issuer's token is away, another issuer's key is still revoked and replaced; the away issuer's own revocation stands without a successor until the token is back")
    func tokenOutageHoldsNoOtherIssuerBack() async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let removable = try await RemovableToken.build()
        defer { removable.putBack() }
        let token = try await PKCS11Token.open(try await removable.configuration())
        defer { Task { await token.close() } }
        let manager = try await Self.manager(fixture, token: token)
        let hsm = Self.issuer("away")
        try await manager.createIssuer(hsm)
        try await manager.createIssuer(StoreIssuers.tenant())
        var clock = StoreClock()
        clock.advance(StoreClock.hour)
        let hsmKey = try await manager.activeKey(hsm.id)
        let softwareKey = try await manager.activeKey("contoso")

        removable.pullOut()
        // The token cannot make a successor: the revocation stands all the same, and the issuer signs nothing.
        let revoked = try await manager.revoke(issuerID: hsm.id, keyID: hsmKey.keyID, reason: "leaked", actor: "test", now: clock.now)
        #expect(revoked.state == .revoked)
        #expect(try await manager.keys(hsm.id, in: .active).isEmpty)
        let noKey = await #expect(throws: StoreError.self) { try await manager.signer(issuerID: hsm.id) }
        #expect(noKey?.code == .custodyUnavailable)
        // Another issuer's revocation is not held back by the away token (its plan is deferred, not failed).
        let other = try await manager.revoke(issuerID: "contoso", keyID: softwareKey.keyID, reason: "drill", actor: "test", now: clock.now)
        #expect(other.state == .revoked)
        #expect(try await manager.activeKey("contoso").keyID != softwareKey.keyID)
        try await manager.tick(now: clock.now)
        #expect(try await manager.keys(hsm.id, in: .active).isEmpty)

        removable.putBack()
        clock.advance(StoreClock.minute)
        try await manager.tick(now: clock.now)
        let successor = try await manager.activeKey(hsm.id)
        #expect(successor.keyID != hsmKey.keyID && successor.custody == .pkcs11)
        #expect(successor.emergencyReason != nil)
        #expect(try await manager.keys(issuerID: hsm.id).first { $0.keyID == hsmKey.keyID }?.privateKeyDestroyedAt != nil,
                "the revoked key's private half is destroyed once the token is back")
        let signed = try await manager.signer(issuerID: hsm.id).signedByCustodian(claims: StoreTokens.claims(hsm, iat: clock.now))
        #expect(try await StoreTokens.verdict(manager, signed.token, now: clock.now) == .verified)
    }
}
