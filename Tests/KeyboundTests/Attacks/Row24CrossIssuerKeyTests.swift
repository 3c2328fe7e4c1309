import Foundation
import Testing
import Keybound

/// Attack catalog row 24 (Storm-0558): a token claiming issuer B signed by a key published for
/// issuer A. Keys are bound to their issuer, so it is `issuer_key_mismatch` whether the keys come
/// from per-issuer sets or from one common set with per-key `issuer` members. The detailed
/// scenarios are in the Storm0558 suites.
@Suite("Row 24: cross-issuer key (Storm-0558)")
struct Row24CrossIssuerKeyTests {
    static let issuerA = "https://a.keybound.test"
    static let issuerB = "https://b.keybound.test"
    static let keyA = AttackKeys.make(.rs256, issuerA, "key-a")
    static let keyB = AttackKeys.make(.rs256, issuerB, "key-b")

    static func forged() throws -> String {
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(issuerB))])
        return try AttackFixture.sign(header: AttackFixture.header(keyA), payload: claims, with: keyA)
    }

    @Test("Per-issuer key sets: iss B, kid of A, signed by A → issuer_key_mismatch")
    func perIssuerSets() throws {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: Self.issuerA, tenancy: .noTenant, keySet: JWKSet(keys: [Self.keyA.publicJWK])))
        try trust.add(TrustedIssuer(identifier: Self.issuerB, tenancy: .noTenant, keySet: JWKSet(keys: [Self.keyB.publicJWK])))
        let fixture = try AttackFixture(trust: trust)
        let legitB = try AttackFixture.sign(header: AttackFixture.header(Self.keyB),
                                            payload: AttackFixture.claims([("iss", AttackFixture.quoted(Self.issuerB))]), with: Self.keyB)
        fixture.expectAccepted(legitB)
        let rejection = fixture.verify(try Self.forged()).rejection
        #expect(rejection?.code == .issuerKeyMismatch)
        #expect(rejection?.keyIssuer == Self.issuerA)
        #expect(rejection?.tokenIssuer == Self.issuerB)
        #expect(rejection?.isAlert == true)
    }

    @Test("One common key set with per-key issuer members → issuer_key_mismatch")
    func commonSet() throws {
        let json = "{\"keys\":[" + [Self.keyA, Self.keyB].map { JSONWriter().string(.object($0.publicJWK.publicJSON)) }
            .joined(separator: ",") + "]}"
        var trust = TrustStore()
        try trust.addCommonKeySet(JWKSet(json: Array(json.utf8)), tenancies: [Self.issuerA: .noTenant, Self.issuerB: .noTenant])
        let fixture = try AttackFixture(trust: trust)
        fixture.expectRejected(try Self.forged(), .issuerKeyMismatch)
    }

    @Test("iss B, kid of A, signed by A, but only A is trusted → issuer_key_mismatch (A's key used across the border)")
    func onlyATrusted() throws {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: Self.issuerA, tenancy: .noTenant, keySet: JWKSet(keys: [Self.keyA.publicJWK])))
        let fixture = try AttackFixture(trust: trust)
        fixture.expectRejected(try Self.forged(), .issuerKeyMismatch)
    }
}
