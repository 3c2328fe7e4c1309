import Crypto
import Foundation
import Testing
import Keybound

/// Storm-0558 (h): the real 2016 consumer (MSA) signing key, as Microsoft published it. It must load
/// as a consumer-issuer key with its `x5c`, and its certificate (2016-04-05 to 2021-04-04) must make
/// it unusable today. The fixture lives in the repository's `Tests/Fixtures`; a missing file fails
/// the tests loudly.
@Suite("Storm-0558 (h): the real 2016 MSA key")
struct StormMSAFixtureTests {
    static let msaIssuer = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
    static let kid = "1LTMzakihiRla_8z2BEJVXeWMqo"
    static let msaTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

    /// The fixtures directory, `<repo>/Tests/Fixtures`, found from this file.
    static func fixturesDirectory(filePath: String = #filePath) -> URL {
        let repositoryRoot = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent()  // Storm0558
            .deletingLastPathComponent()  // KeyboundTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repository root
        return repositoryRoot.appendingPathComponent("Tests/Fixtures", isDirectory: true)
    }

    static func loadKeySet() throws -> JWKSet {
        let url = fixturesDirectory().appendingPathComponent("msa-2016-signing-key.jwks.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("Storm-0558 fixture missing at \(url.path); it belongs in the repository")
            throw AttackTestError("fixture missing: \(url.path)")
        }
        return try JWKSet(json: Array(data))
    }

    @Test("The fixture loads: one RSA key, kid = x5t, bound to the consumer issuer, with an x5c")
    func loads() throws {
        let set = try Self.loadKeySet()
        #expect(set.unusableKeys.isEmpty)
        #expect(set.warnings.isEmpty)
        let key = try #require(set.keys.first)
        #expect(set.keys.count == 1)
        #expect(key.keyID == Self.kid)
        #expect(key.keyType == .rsa)
        #expect(key.algorithm == .rs256)
        #expect(key.issuer == Self.msaIssuer)
        #expect(key.publicJSON["x5t"]?.stringValue == Self.kid)
        let certificate = try #require(key.publicJSON["x5c"]?.arrayValue?.first?.stringValue)
        let der = try #require(Data(base64Encoded: certificate))
        #expect(Base64URL.encode(Insecure.SHA1.hash(data: der)) == Self.kid)
        #expect(Array(Insecure.SHA1.hash(data: der)) == AttackEncoding.hex("d4b4cccda9228624656bff33d8110955779632aa"))
    }

    @Test("Its certificate is valid 2016-04-05 to 2021-04-04, for CN=Live ID STS Signing Public Key")
    func certificateValidity() throws {
        let key = try #require(try Self.loadKeySet().keys.first)
        let validity = try #require(key.certificateValidity)
        #expect(validity.notBefore == AttackStorm.date(2016, 4, 5, 14).addingTimeInterval(43 * 60 + 35))
        #expect(validity.notAfter == AttackStorm.date(2021, 4, 4, 14).addingTimeInterval(43 * 60 + 35))
        #expect(validity.subject.contains("Live ID STS Signing Public Key"))
        #expect(validity.contains(AttackStorm.date(2020, 6, 15)))
        #expect(!validity.contains(AttackStorm.date(2023, 6, 15)))
        #expect(!validity.contains(Date()))
    }

    @Test("It can be trusted for the consumer issuer, per issuer or from a common set, and for no other issuer")
    func consumerIssuerKey() throws {
        let set = try Self.loadKeySet()
        let issuer = try TrustedIssuer(identifier: Self.msaIssuer, tenancy: .consumer(Self.msaTenantID), keySet: set)
        #expect(issuer.key(withID: Self.kid) != nil)
        var common = TrustStore()
        try common.addCommonKeySet(set, tenancies: [Self.msaIssuer: .consumer(Self.msaTenantID)])
        #expect(common.issuerIdentifiers == [Self.msaIssuer])
        do {
            _ = try TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .noTenant, keySet: set)
            Issue.record("the MSA key was trusted for an enterprise issuer")
        } catch {
            #expect(error.code == .issuerBinding)
        }
    }

    @Test("A token naming the MSA key for an enterprise tenant, with a signature nobody can make, is not accepted")
    func forgedEnterpriseToken() throws {
        var trust = TrustStore()
        try trust.addCommonKeySet(Self.loadKeySet(), tenancies: [Self.msaIssuer: .consumer(Self.msaTenantID)])
        try trust.add(TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .tenant(AttackStorm.enterpriseTenantID),
                                    keySet: JWKSet(keys: [AttackStorm.enterpriseKey.publicJWK])))
        let fixture = try AttackFixture(trust: trust, now: AttackStorm.date(2023, 6, 15))
        let header = #"{"alg":"RS256","kid":"\#(Self.kid)","typ":"at+jwt"}"#
        let claims = AttackStorm.claims(issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID,
                                        now: AttackStorm.seconds(2023, 6, 15))
        let token = AttackEncoding.token(header: header, payload: claims, signature: [UInt8](repeating: 0x42, count: 256))
        fixture.expectRejected(token, .unknownKey)
    }
}
