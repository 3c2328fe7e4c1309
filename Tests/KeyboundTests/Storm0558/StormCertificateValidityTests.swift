import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
import _CryptoExtras
@testable import Keybound

/// Storm-0558 (i): a key with an `x5c` certificate is valid only inside the certificate's validity.
/// The stolen MSA key's certificate expired on 2021-04-04, yet it still signed tokens in 2023.
/// A look-alike key (fresh RSA key, self-signed certificate with the same subject and dates) shows
/// that a correctly signed token is `key_not_active` in 2023 and verifies in 2020.
@Suite("Storm-0558 (i): certificate validity bounds the key")
struct StormCertificateValidityTests {
    struct LookAlike: Sendable {
        let signingKey: SigningKey
        let jwk: JWK
    }

    static let notBefore = AttackStorm.date(2016, 4, 5, 14)
    static let notAfter = AttackStorm.date(2021, 4, 4, 14)

    /// An RSA key whose JWK carries a self-signed `CN=Live ID STS Signing Public Key` certificate
    /// valid 2016-04-05 to 2021-04-04, with `kid` = `x5t` like Microsoft's.
    static let lookAlike: LookAlike = {
        do { return try makeLookAlike() } catch { fatalError("could not build the look-alike key: \(error)") }
    }()

    static func makeLookAlike() throws -> LookAlike {
        let generated = AttackKeys.make(.rs256, AttackStorm.consumerIssuer, "temporary")
        guard case .rsa(let rsa) = generated.backing else { throw AttackTestError("not an RSA key") }
        let name = try DistinguishedName { CommonName("Live ID STS Signing Public Key") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(rsa.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption, extensions: try Certificate.Extensions([Certificate.Extension]()),
            issuerPrivateKey: Certificate.PrivateKey(rsa))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        let thumbprint = Base64URL.encode(Insecure.SHA1.hash(data: der))
        let signingKey = try SigningKey(backing: generated.backing, keyID: thumbprint, algorithm: .rs256, issuer: AttackStorm.consumerIssuer)
        var json = signingKey.publicJWK.publicJSON
        json["x5c"] = .array([.string(Data(der).base64EncodedString())])
        json["x5t"] = .string(thumbprint)
        return LookAlike(signingKey: signingKey, jwk: try JWK(jsonObject: json))
    }

    static func fixture(now: Date) throws -> AttackFixture {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackStorm.consumerIssuer, tenancy: .noTenant, keySet: JWKSet(keys: [lookAlike.jwk])))
        try trust.add(TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .tenant(AttackStorm.enterpriseTenantID),
                                    keySet: JWKSet(keys: [AttackStorm.enterpriseKey.publicJWK])))
        return try AttackFixture(trust: trust, now: now)
    }

    static func token(now: Int, iat: Int? = nil, issuer: String = AttackStorm.consumerIssuer, tenantID: String? = nil) throws -> String {
        try AttackStorm.token(issuer: issuer, tenantID: tenantID, signedBy: lookAlike.signingKey, iat: iat ?? now - 60,
                              exp: now + 600, now: now)
    }

    @Test("The JWK imports with the certificate's validity and subject")
    func imported() {
        let validity = Self.lookAlike.jwk.certificateValidity
        #expect(validity?.notBefore == Self.notBefore)
        #expect(validity?.notAfter == Self.notAfter)
        #expect(validity?.subject.contains("Live ID STS Signing Public Key") == true)
        #expect(Self.lookAlike.jwk.keyID == Self.lookAlike.jwk.publicJSON["x5t"]?.stringValue)
    }

    @Test("A correctly signed token in 2023 (after the certificate expired) → key_not_active")
    func afterExpiry() throws {
        let now = AttackStorm.seconds(2023, 6, 15)
        let fixture = try Self.fixture(now: AttackStorm.date(2023, 6, 15))
        let rejection = fixture.verify(try Self.token(now: now)).rejection
        #expect(rejection?.code == .keyNotActive)
        #expect(rejection?.isAlert == true)
    }

    @Test("The same key in 2020 with iat in 2020 verifies")
    func insideValidity() throws {
        let fixture = try Self.fixture(now: AttackStorm.date(2020, 6, 15))
        fixture.expectAccepted(try Self.token(now: AttackStorm.seconds(2020, 6, 15)))
    }

    @Test("Before the certificate's notBefore → key_not_active")
    func beforeValidity() throws {
        let fixture = try Self.fixture(now: AttackStorm.date(2016, 3, 1))
        fixture.expectRejected(try Self.token(now: AttackStorm.seconds(2016, 3, 1)), .keyNotActive)
    }

    @Test("Now inside the validity but iat backdated before notBefore → key_not_active")
    func iatBeforeValidity() throws {
        let now = AttackStorm.seconds(2016, 4, 5, 15)
        let fixture = try Self.fixture(now: AttackStorm.date(2016, 4, 5, 15))
        fixture.expectRejected(try Self.token(now: now, iat: AttackStorm.seconds(2016, 4, 5, 10)), .keyNotActive)
    }

    @Test("2023: the expired consumer key forging an enterprise token is still named → issuer_key_mismatch")
    func forgedEnterpriseIn2023() throws {
        let now = AttackStorm.seconds(2023, 6, 15)
        let fixture = try Self.fixture(now: AttackStorm.date(2023, 6, 15))
        let forged = try Self.token(now: now, issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID)
        let rejection = fixture.verify(forged).rejection
        #expect(rejection?.code == .issuerKeyMismatch)
        #expect(rejection?.keyIssuer == AttackStorm.consumerIssuer)
    }

    @Test("An x5t that is not the certificate's thumbprint is refused at import (invalid_key)")
    func wrongThumbprint() {
        var json = Self.lookAlike.jwk.publicJSON
        json["x5t"] = .string("1LTMzakihiRla_8z2BEJVXeWMqo")
        do {
            _ = try JWK(jsonObject: json)
            Issue.record("a mismatched x5t was accepted")
        } catch {
            #expect(error.code == .invalidKey)
        }
    }

    @Test("A certificate for a different public key is refused at import (invalid_key)")
    func foreignCertificate() {
        var json = AttackStorm.consumerKey.publicJWK.publicJSON
        json["x5c"] = Self.lookAlike.jwk.publicJSON["x5c"]
        do {
            _ = try JWK(jsonObject: json)
            Issue.record("a certificate of another key was accepted")
        } catch {
            #expect(error.code == .invalidKey)
        }
    }
}
