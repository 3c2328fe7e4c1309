import Foundation
import Testing
import Keybound

/// Storm-0558 (j): the key's lifecycle bounds what it can vouch for. Revoked → `key_revoked`;
/// pending, retired, or `iat` outside the active window (which ends at the maximum age) →
/// `key_not_active`; a backdated `iat` that stretches `exp − iat` past the issuer's maximum →
/// `lifetime_too_long`; a tenant issuer's token with another `tid` → `tenant_mismatch`.
@Suite("Storm-0558 (j): key lifecycle, lifetime and tenant")
struct StormKeyLifecycleTests {
    static let now = AttackFixture.nowSeconds
    static let key = AttackKeys.make(.es256, AttackStorm.enterpriseIssuer, "enterprise-es256")
    static let day: TimeInterval = 86_400

    static func at(_ offset: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(now + offset)) }

    static func fixture(_ lifecycle: KeyLifecycle, tenantID: String? = AttackStorm.enterpriseTenantID,
                        maximumTokenLifetime: TimeInterval = 3_600, tokenType: ExpectedTokenType = .accessToken) throws -> AttackFixture {
        var issuer = TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: tenantID.map(Tenancy.tenant) ?? .noTenant, maximumTokenLifetime: maximumTokenLifetime)
        try issuer.add(TrustedKey(key.publicJWK, lifecycle: lifecycle))
        var trust = TrustStore()
        try trust.add(issuer)
        return try AttackFixture(trust: trust, tokenType: tokenType)
    }

    static func token(iat: Int? = nil, exp: Int? = nil, tid: String? = AttackStorm.enterpriseTenantID) throws -> String {
        try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, tenantID: tid, signedBy: key,
                              iat: iat ?? now - 60, exp: exp ?? now + 600)
    }

    @Test("An active key verifies a token issued inside its window")
    func active() throws {
        try Self.fixture(KeyLifecycle(activeFrom: Self.at(-Int(Self.day)))).expectAccepted(try Self.token())
        try Self.fixture(.unbounded).expectAccepted(try Self.token())
    }

    @Test("A revoked key → key_revoked, even for a token issued before the revocation")
    func revoked() throws {
        let lifecycle = KeyLifecycle(activeFrom: Self.at(-Int(Self.day)),
                                     revocation: .init(at: Self.at(-10), reason: "key material exposed"))
        let fixture = try Self.fixture(lifecycle)
        let rejection = fixture.verify(try Self.token(iat: Self.now - 60)).rejection
        #expect(rejection?.code == .keyRevoked)
        #expect(rejection?.isAlert == true)
    }

    @Test("Revoking through the trust store takes effect for the next verifier")
    func revokedByUpdate() throws {
        var trust = try Self.fixture(KeyLifecycle(activeFrom: Self.at(-Int(Self.day)))).trust
        let updated = trust.updateLifecycle(issuer: AttackStorm.enterpriseIssuer, keyID: Self.key.keyID,
                                            to: KeyLifecycle(activeFrom: Self.at(-Int(Self.day)),
                                                             revocation: .init(at: Self.at(0), reason: "incident")))
        #expect(updated)
        try AttackFixture(trust: trust).expectRejected(try Self.token(), .keyRevoked)
    }

    @Test("A pending key → key_not_active")
    func pending() throws {
        try Self.fixture(KeyLifecycle(isPending: true)).expectRejected(try Self.token(), .keyNotActive)
    }

    @Test("iat before activeFrom → key_not_active")
    func iatBeforeActiveFrom() throws {
        let fixture = try Self.fixture(KeyLifecycle(activeFrom: Self.at(-30)))
        fixture.expectRejected(try Self.token(iat: Self.now - 60), .keyNotActive)
        fixture.expectAccepted(try Self.token(iat: Self.now - 30))
    }

    @Test("iat after activeUntil → key_not_active; an older token of the verify-only key still verifies")
    func iatAfterActiveUntil() throws {
        let fixture = try Self.fixture(KeyLifecycle(activeFrom: Self.at(-Int(Self.day)), activeUntil: Self.at(-600), verifyUntil: Self.at(Int(Self.day))))
        fixture.expectRejected(try Self.token(iat: Self.now - 60), .keyNotActive)
        fixture.expectAccepted(try Self.token(iat: Self.now - 900, exp: Self.now + 600))
    }

    @Test("iat after activeFrom + maximumAge → key_not_active")
    func pastMaximumAge() throws {
        let lifecycle = KeyLifecycle(activeFrom: Self.at(-10 * Int(Self.day)), maximumAge: 7 * Self.day)
        #expect(lifecycle.effectiveActiveUntil == Self.at(-3 * Int(Self.day)))
        try Self.fixture(lifecycle).expectRejected(try Self.token(), .keyNotActive)
    }

    @Test("A retired key (past verifyUntil) → key_not_active, even for a token issued while it was active")
    func retired() throws {
        let lifecycle = KeyLifecycle(activeFrom: Self.at(-Int(Self.day)), activeUntil: Self.at(-1_800), verifyUntil: Self.at(-1))
        try Self.fixture(lifecycle).expectRejected(try Self.token(iat: Self.now - 2_000, exp: Self.now + 600), .keyNotActive)
    }

    @Test("A token without iat cannot be placed in a bounded key's window → key_not_active")
    func noIssuedAt() throws {
        let fixture = try Self.fixture(KeyLifecycle(activeFrom: Self.at(-Int(Self.day))), tokenType: .jwt)
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(AttackStorm.enterpriseIssuer)),
                                           ("tid", AttackFixture.quoted(AttackStorm.enterpriseTenantID))], removing: ["iat"])
        let token = try AttackFixture.sign(header: AttackFixture.header(Self.key, typ: "JWT"), payload: claims, with: Self.key)
        fixture.expectRejected(token, .keyNotActive)
    }

    @Test("Backdated iat with exp − iat above the issuer's maximum lifetime → lifetime_too_long")
    func backdatedLifetime() throws {
        let fixture = try Self.fixture(.unbounded, maximumTokenLifetime: 3_600)
        fixture.expectRejected(try Self.token(iat: Self.now - 7_200, exp: Self.now + 600), .lifetimeTooLong)
        fixture.expectRejected(try Self.token(iat: Self.now - 60, exp: Self.now + 3_541), .lifetimeTooLong)
        fixture.expectAccepted(try Self.token(iat: Self.now - 60, exp: Self.now + 3_540))
    }

    @Test("Tenant issuer: another tid or no tid → tenant_mismatch", arguments: [AttackStorm.consumerIssuer, "9188040d-6c67-4c5b-b112-36a304b66dad", AttackStorm.enterpriseTenantID.uppercased(), ""])
    func tenantMismatch(tid: String) throws {
        let fixture = try Self.fixture(.unbounded)
        fixture.expectAccepted(try Self.token())
        fixture.expectRejected(try Self.token(tid: tid), .tenantMismatch)
        fixture.expectRejected(try Self.token(tid: nil), .tenantMismatch)
    }
}
