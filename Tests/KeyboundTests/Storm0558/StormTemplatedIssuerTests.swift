import Foundation
import Testing
import Keybound

/// Storm-0558 (c): Microsoft-style multi-tenant keys whose per-key `issuer` is a template,
/// `https://login.microsoftonline.com/{tenantid}/v2.0`. Such a key verifies a token only when its
/// `iss` equals the template with the token's own `tid` substituted; without `tid` it is
/// `missing_claim`; with `iss` naming another tenant than `tid` it is rejected.
@Suite("Storm-0558 (c): templated issuer")
struct StormTemplatedIssuerTests {
    static let template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    static let tenantT = "0d3e5a3c-1b7e-4c55-9d8b-2f4e6a7c9b10"
    static let tenantU = "5f1c2b3a-9e8d-4c7b-a6f5-e4d3c2b1a098"
    static let key = AttackKeys.make(.rs256, template, "ms-common-2023")

    static func issuer(for tenant: String) -> String {
        template.replacingOccurrences(of: "{tenantid}", with: tenant)
    }

    static func fixture() throws -> AttackFixture {
        var trust = TrustStore()
        try trust.addCommonKeySet(JWKSet(json: Array(AttackStorm.jwksJSON([key.publicJWK.publicJSON]).utf8)), tenancies: AttackStorm.commonTenancies)
        return try AttackFixture(trust: trust)
    }

    static func token(iss: String, tid: String?) throws -> String {
        try AttackStorm.token(issuer: iss, tenantID: tid, signedBy: key)
    }

    @Test("tid T and iss with T substituted verifies, as the concrete issuer")
    func matchingTenant() throws {
        let fixture = try Self.fixture()
        let result = fixture.verify(try Self.token(iss: Self.issuer(for: Self.tenantT), tid: Self.tenantT))
        #expect(result.token?.issuer == Self.issuer(for: Self.tenantT), "\(String(describing: result.rejection))")
        #expect(result.token?.tenantID == Self.tenantT)
    }

    @Test("The same token without tid → missing_claim")
    func missingTenant() throws {
        let fixture = try Self.fixture()
        fixture.expectRejected(try Self.token(iss: Self.issuer(for: Self.tenantT), tid: nil), .missingClaim)
    }

    @Test("iss of tenant U with tid T (and the reverse) → issuer_key_mismatch")
    func otherTenant() throws {
        let fixture = try Self.fixture()
        let forged = fixture.verify(try Self.token(iss: Self.issuer(for: Self.tenantU), tid: Self.tenantT)).rejection
        #expect(forged?.code == .issuerKeyMismatch)
        #expect(forged?.keyIssuer == Self.issuer(for: Self.tenantT))
        fixture.expectRejected(try Self.token(iss: Self.issuer(for: Self.tenantT), tid: Self.tenantU), .issuerKeyMismatch)
    }

    @Test("The literal template as iss, or an unrelated iss, with tid T → issuer_key_mismatch")
    func literalTemplate() throws {
        let fixture = try Self.fixture()
        fixture.expectRejected(try Self.token(iss: Self.template, tid: Self.tenantT), .issuerKeyMismatch)
        fixture.expectRejected(try Self.token(iss: AttackStorm.enterpriseIssuer, tid: Self.tenantT), .issuerKeyMismatch)
    }

    @Test("A non-string tid → malformed_claims")
    func nonStringTenant() throws {
        let fixture = try Self.fixture()
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(Self.issuer(for: Self.tenantT))), ("tid", "[\"\(Self.tenantT)\"]")])
        let token = try AttackFixture.sign(header: AttackFixture.header(Self.key), payload: claims, with: Self.key)
        fixture.expectRejected(token, .malformedClaims)
    }

    @Test("A garbage signature under the templated kid for tenant T → bad_signature")
    func garbageSignature() throws {
        let fixture = try Self.fixture()
        let token = try Self.token(iss: Self.issuer(for: Self.tenantT), tid: Self.tenantT)
        var signature = AttackEncoding.signature(of: token)
        signature[0] ^= 0xFF
        fixture.expectRejected(AttackEncoding.replacingSignature(of: token, with: signature), .badSignature)
    }
}
