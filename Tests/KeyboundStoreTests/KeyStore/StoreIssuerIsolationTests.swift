import Foundation
import Keybound
import KeyboundStore
import Testing

/// The key of one issuer can never be attached to, or sign for, another: the sealed key's
/// associated data binds issuer and kid, a kid names one key of one issuer forever, the signer
/// refuses another issuer's `iss`, each JWKS holds only its own issuer's keys, and a token forged
/// across the border is rejected as `issuer_key_mismatch`.
@Suite("Key store: issuer isolation")
struct StoreIssuerIsolationTests {
    static let t0 = StoreClock.origin
    static let alpha = StoreIssuers.consumer("alpha")
    static let beta = StoreIssuers.tenant("beta")

    static func fixture(_ backend: StoreBackend) async throws -> StoreFixture { try await StoreFixture(backend, issuers: [alpha, beta]) }

    @Test("A sealed key copied into another issuer's row does not open", arguments: StoreBackend.allCases)
    func copiedSealedKey(backend: StoreBackend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let alphaKey = try await manager.activeKey(Self.alpha.id)
        var betaKey = try await manager.activeKey(Self.beta.id)
        let betaKeyBefore = betaKey
        betaKey.sealedPrivateKey = alphaKey.sealedPrivateKey
        let swapped = betaKey
        try await manager.store.write { try await $0.update(swapped) }

        let error = try await #require(throws: StoreError.self) { try await manager.signingKey(issuerID: Self.beta.id) }
        #expect(error.code == .wrongKEK)
        await #expect(try manager.signingKey(issuerID: Self.alpha.id).keyID == alphaKey.keyID, "the original still opens")

        // The associated data binds both halves: neither another issuer nor another kid opens it.
        await #expect(throws: StoreError.self) { try await manager.sealer.open(alphaKey.sealedPrivateKey, issuerID: Self.beta.id, keyID: alphaKey.keyID) }
        await #expect(throws: StoreError.self) { try await manager.sealer.open(alphaKey.sealedPrivateKey, issuerID: Self.alpha.id, keyID: betaKeyBefore.keyID) }
        await #expect(throws: StoreError.self) { try await manager.sealer.open(alphaKey.sealedPrivateKey, issuerID: Self.beta.id, keyID: betaKeyBefore.keyID) }
        await #expect(try await manager.sealer.open(alphaKey.sealedPrivateKey, issuerID: Self.alpha.id, keyID: alphaKey.keyID).issuer == Self.alpha.url)
    }

    @Test("One issuer's kid cannot be attached to another issuer", arguments: StoreBackend.allCases)
    func kidIsGlobal(backend: StoreBackend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let alphaKey = try await manager.activeKey(Self.alpha.id)
        var attached = alphaKey
        attached.issuerID = Self.beta.id
        attached.state = .pending
        attached.isInitial = false
        let attachedRow = attached
        await #expect(throws: (any Error).self) { try await manager.store.write { try await $0.insert(attachedRow) } }
        await #expect(try manager.keys(issuerID: Self.beta.id).allSatisfy { $0.keyID != alphaKey.keyID })
    }

    @Test("A key bound to another issuer's URL, sealed into this issuer's row, is refused for signing and trust", arguments: StoreBackend.allCases)
    func foreignBinding(backend: StoreBackend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let forged = try SigningKey.generate(algorithm: .es256, issuer: Self.alpha.url)
        var betaActive = try await manager.activeKey(Self.beta.id)
        var row = betaActive
        row.keyID = forged.keyID
        row.publicJWK = JSONWriter().string(.object(forged.publicJWK.publicJSON))
        row.sealedPrivateKey = try await manager.sealer.seal(forged, issuerID: Self.beta.id)
        row.isInitial = false
        betaActive.state = .verifyOnly
        let (demoted, forgedRow) = (betaActive, row)
        try await manager.store.write { session in
            try await session.update(demoted)
            try await session.insert(forgedRow)
        }
        let error = try await #require(throws: StoreError.self) { try await manager.signingKey(issuerID: Self.beta.id) }
        #expect(error.code == .invariantViolated)
        await #expect(throws: StoreError.self, "the trust projection must fail closed, not trust beta's key for alpha") { try await manager.trustStore() }
    }

    @Test("The signer refuses claims for another issuer, or with no iss", arguments: StoreBackend.allCases)
    func signerRefusesOtherIssuer(backend: StoreBackend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let signer = TokenSigner(key: try await manager.signingKey(issuerID: Self.alpha.id))
        let now = Self.t0.addingTimeInterval(60)
        #expect(throws: SigningError.self) { try signer.sign(claims: StoreTokens.claims(Self.beta, iat: now)) }
        for lookalike in [Self.alpha.url + "/", Self.alpha.url.uppercased(), Self.beta.url] {
            #expect(throws: SigningError.self, "\(lookalike)") { try signer.sign(claims: StoreTokens.claims(Self.alpha, iat: now, iss: lookalike)) }
        }
        var noIssuer = StoreTokens.claims(Self.alpha, iat: now)
        noIssuer["iss"] = nil
        #expect(throws: SigningError.self) { try signer.sign(claims: noIssuer) }
        #expect(throws: Never.self) { try signer.sign(claims: StoreTokens.claims(Self.alpha, iat: now)) }
    }

    @Test("Each issuer's JWKS holds only its own keys, each bound to it, through rotations", arguments: StoreBackend.allCases)
    func separateKeySets(backend: StoreBackend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        try await manager.rotate(issuerID: Self.alpha.id, now: Self.t0.addingTimeInterval(StoreClock.hour))
        let betaBefore = try await manager.keys(issuerID: Self.beta.id)
        try await manager.tick(now: Self.t0.addingTimeInterval(StoreClock.hour + StoreIssuers.publishLeadTime))
        await #expect(try manager.keys(issuerID: Self.beta.id) == betaBefore, "rotating alpha touched beta")
        var allPublished: [Set<String>] = []
        for issuer in [Self.alpha, Self.beta] {
            let set = try await manager.publishedKeySet(issuerID: issuer.id)
            let keys = try #require(set["keys"]?.arrayValue)
            #expect(!keys.isEmpty)
            for key in keys {
                #expect(key.objectValue?["issuer"]?.stringValue == issuer.url)
                #expect(key.objectValue?["d"] == nil)
            }
            await allPublished.append(try manager.publishedKeyIDs(issuer.id))
        }
        // alpha: both purposes rotated (active + verify-only each); beta: its two initial keys.
        #expect(allPublished[0].count == 4 && allPublished[1].count == 2)
        #expect(allPublished[0].isDisjoint(with: allPublished[1]))
    }

    @Test("A token forged across the border (alpha's key, beta's iss) is rejected as issuer_key_mismatch", arguments: StoreBackend.allCases)
    func crossIssuerForgery(backend: StoreBackend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let alphaKey = try await manager.signingKey(issuerID: Self.alpha.id)
        let now = Self.t0.addingTimeInterval(StoreClock.hour)
        let claims = StoreTokens.claims(Self.beta, iat: now)
        let header = JSONObject(["alg": .string(alphaKey.algorithm.rawValue), "kid": .string(alphaKey.keyID), "typ": .string("at+jwt")])
        let forged = try TokenSigner(key: alphaKey).sign(header: header, payload: JSONWriter().bytes(.object(claims)))
        await #expect(try StoreTokens.verdict(manager, forged, now: now) == .rejected(.issuerKeyMismatch))
        // The same claims signed by beta's own key are fine.
        let genuine = try StoreTokens.sign(try await manager.signingKey(issuerID: Self.beta.id), Self.beta, iat: now)
        await #expect(try StoreTokens.verdict(manager, genuine, now: now) == .verified)
    }
}
