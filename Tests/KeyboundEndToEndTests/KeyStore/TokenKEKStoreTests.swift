import Foundation
import Keybound
import KeyboundPKCS11
import KeyboundStore
import Testing

/// A store whose KEK is an AES key inside a SoftHSM2 token: software keys are sealed and opened by
/// the token, a KEK in memory cannot open them, `kek rotate` moves the store onto the token and
/// off it, and while the token is away nothing is unsealed (custody_unavailable, a 503).
@Suite("Key store: the KEK inside a PKCS#11 token", .serialized)
struct TokenKEKStoreTests {
    @Test("issuers' software keys are sealed by the token's KEK and sign; the store refuses a KEK in memory; rotation moves it off the token and back", arguments: StoreBackend.allCases)
    func sealsInTheToken(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let tokenKEK = KeyEncryptionKey(custodian: try await PKCS11KEK.create(label: "kek-\(UUID().uuidString.prefix(8))", in: token))
        #expect(tokenKEK.isHeldByToken && tokenKEK.base64Text.isEmpty)

        let manager = try await KeyManager(store: try fixture.openStore(), kek: tokenKEK)
        let issuer = StoreIssuers.tenant()
        try await manager.createIssuer(issuer)
        let records = try await manager.keys(issuerID: issuer.id)
        #expect(records.count == 2 && records.allSatisfy { $0.kekFingerprint == tokenKEK.fingerprint && !$0.sealedPrivateKey.isEmpty })
        let clock = StoreClock()
        let token1 = try await manager.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: clock.now))
        #expect(try await StoreTokens.verdict(manager, token1.token, now: clock.now) == .verified)

        // The fixture's own KEK (in memory) is not the store's.
        let refused = await #expect(throws: StoreError.self) { _ = try await KeyManager(store: try fixture.openStore(), kek: fixture.kek) }
        #expect(refused?.code == .wrongKEK)

        // Off the token, then back onto it: every key re-sealed each time, and still signing.
        #expect(try await manager.rotateKEK(to: fixture.kek, now: clock.now, actor: "test") == 2)
        let inMemory = try await KeyManager(store: try fixture.openStore(), kek: fixture.kek)
        _ = try await inMemory.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: clock.now))
        #expect(try await inMemory.rotateKEK(to: tokenKEK, now: clock.now, actor: "test") == 2)
        let back = try await KeyManager(store: try fixture.openStore(), kek: tokenKEK)
        let token2 = try await back.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: clock.now))
        #expect(try await StoreTokens.verdict(back, token2.token, now: clock.now) == .verified)
    }

    @Test("while the token holding the KEK is away, unsealing answers custody_unavailable and creating a key fails closed; both work again once it is back")
    func tokenAwayFailsClosed() async throws {
        let fixture = try await StoreFixture()
        defer { fixture.remove() }
        let removable = try await RemovableToken.build()
        defer { removable.putBack() }
        let token = try await PKCS11Token.open(try await removable.configuration())
        defer { Task { await token.close() } }
        let kek = KeyEncryptionKey(custodian: try await PKCS11KEK.create(label: "kek-\(UUID().uuidString.prefix(8))", in: token))
        let manager = try await KeyManager(store: try fixture.openStore(), kek: kek)
        let issuer = StoreIssuers.tenant()
        try await manager.createIssuer(issuer)

        removable.pullOut()
        let unsealing = await #expect(throws: StoreError.self) { _ = try await manager.signer(issuerID: issuer.id) }
        #expect(unsealing?.code == .custodyUnavailable, "\(String(describing: unsealing))")
        let creating = await #expect(throws: StoreError.self) { try await manager.createIssuer(StoreIssuers.consumer()) }
        #expect(creating?.code == .custodyUnavailable, "\(String(describing: creating))")
        #expect(try await manager.issuers().map(\.id) == [issuer.id], "nothing of the refused issuer was written")

        removable.putBack()
        _ = try await manager.signer(issuerID: issuer.id).signedByCustodian(claims: StoreTokens.claims(issuer, iat: StoreClock().now))
        try await manager.createIssuer(StoreIssuers.consumer())
    }
}
