import Foundation
import Testing
import Keybound

/// The Storm-0558 cast: a consumer issuer (think MSA) and an enterprise tenant issuer, each with
/// its own RSA signing key, plus helpers to sign tokens for either issuer with any key.
enum AttackStorm {
    static let consumerIssuer = "https://login.keybound.test/consumers/v2.0"
    static let enterpriseTenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    static let enterpriseIssuer = "https://login.keybound.test/\(enterpriseTenantID)/v2.0"
    static let audience = AttackFixture.audience

    static let consumerKey = AttackKeys.make(.rs256, consumerIssuer, "consumer-2016")
    static let enterpriseKey = AttackKeys.make(.rs256, enterpriseIssuer, "enterprise-2023")

    /// Access-token claims for `issuer`, with `tid` when given.
    static func claims(issuer: String, tenantID: String? = nil, iat: Int? = nil, exp: Int? = nil,
                       now: Int = AttackFixture.nowSeconds) -> String {
        var overrides: [(String, String)] = [("iss", AttackFixture.quoted(issuer))]
        if let tenantID { overrides.append(("tid", AttackFixture.quoted(tenantID))) }
        if let iat { overrides.append(("iat", String(iat))) }
        if let exp { overrides.append(("exp", String(exp))) }
        return AttackFixture.claims(overrides, base: AttackFixture.defaultClaims(now: now))
    }

    /// A token for `issuer` signed by `key` under `kid` (default: the key's own), whatever the key's issuer.
    static func token(issuer: String, tenantID: String? = nil, signedBy key: SigningKey, kid: String? = nil,
                      iat: Int? = nil, exp: Int? = nil, now: Int = AttackFixture.nowSeconds) throws -> String {
        try AttackFixture.sign(header: AttackFixture.header(key, kid: kid),
                               payload: claims(issuer: issuer, tenantID: tenantID, iat: iat, exp: exp, now: now), with: key)
    }

    /// The tenancy of each concrete issuer a common key set of this cast names: the consumer realm's
    /// tokens carry no `tid` here, the enterprise tenant's carry its own.
    static let commonTenancies: [String: Tenancy] = [consumerIssuer: .noTenant, enterpriseIssuer: .tenant(enterpriseTenantID)]

    /// Per-issuer trust: each issuer with its own key set; the enterprise issuer is a tenant.
    static func perIssuerTrust() throws -> TrustStore {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: consumerIssuer, tenancy: .noTenant, keySet: JWKSet(keys: [consumerKey.publicJWK])))
        try trust.add(TrustedIssuer(identifier: enterpriseIssuer, tenancy: .tenant(enterpriseTenantID),
                                    keySet: JWKSet(keys: [enterpriseKey.publicJWK])))
        return trust
    }

    /// The JSON text of a JWKS holding `keys` (each an object of public members).
    static func jwksJSON(_ keys: [JSONObject]) -> String {
        JSONWriter().string(.object(JSONObject(["keys": .array(keys.map { .object($0) })])))
    }

    /// Seconds since 1970 for a UTC calendar date.
    static func seconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 12) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour))!
        return Int(date.timeIntervalSince1970)
    }

    static func date(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 12) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds(year, month, day, hour)))
    }
}
