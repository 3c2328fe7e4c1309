import Foundation
import Keybound

/// An issuer for tests of code that validates Keybound tokens: it holds its own signing key,
/// mints access tokens with the RFC 9068 claims, and describes itself as a `TrustedIssuer`.
///
/// No provider, store or network is involved. Trust is built from several fake issuers with
/// `TrustStore/init(trusting:)`, so that a test can show that one issuer's key is refused for
/// another issuer's token:
///
/// ```swift
/// let contoso = try FakeIssuer("https://login.example.test/contoso", tenantID: "contoso-tid")
/// let fabrikam = try FakeIssuer("https://login.example.test/fabrikam", tenantID: "fabrikam-tid")
/// let verifier = TokenVerifier(trust: try TrustStore(trusting: [contoso, fabrikam]),
///                              policy: try VerificationPolicy(audience: "api://files"))
/// let forged = try fabrikam.accessToken(audience: "api://files", claimedIssuer: contoso.identifier)
/// // verifier.verify(forged) is refused: fabrikam's key is not contoso's.
/// ```
public struct FakeIssuer: Sendable {
    /// The issuer identifier (`iss`).
    public let identifier: String
    /// The tenancy published for the issuer: its fixed tenant id, or none.
    public let tenancy: Tenancy
    /// The key the issuer signs with.
    public let key: SigningKey
    /// The clock that stamps `iat` and `exp`.
    public let clock: TestClock

    /// A fake issuer with a new key.
    ///
    /// - Parameters:
    ///   - identifier: the `iss` value, compared by exact bytes.
    ///   - tenantID: the issuer's fixed tenant id (its tokens carry it as `tid`); nil for an issuer
    ///     without one.
    ///   - algorithm: the key's algorithm.
    ///   - clock: the clock for `iat` and `exp`. The default is a new ``TestClock`` reading the time
    ///     of this call; it stands still, so tokens minted later carry that time until the test
    ///     moves it. Share one clock with the verifier under test (``TestClock/verificationClock``).
    public init(_ identifier: String, tenantID: String? = nil, algorithm: JWSAlgorithm = .es256,
                clock: TestClock = TestClock()) throws {
        self.identifier = identifier
        self.tenancy = tenantID.map { .tenant($0) } ?? .noTenant
        self.key = try SigningKey.generate(algorithm: algorithm, issuer: identifier)
        self.clock = clock
    }

    /// The issuer's tenant id, if it has one.
    public var tenantID: String? { tenancy.fixedTenantID }

    /// The issuer as a verifier trusts it: its identifier, tenancy and public key.
    public func trustedIssuer() throws -> TrustedIssuer {
        var issuer = TrustedIssuer(identifier: identifier, tenancy: tenancy)
        try issuer.add(TrustedKey(key.publicJWK))
        return issuer
    }

    /// Access-token claims: `iss`, `sub`, `aud`, `iat`, `exp`, `jti`, `client_id`, `idtyp` (`app`
    /// for roles without a scope, else `user`), and `tid`, `scope` and `roles` when given. `extra` claims are added last and replace any of these.
    public func claims(
        subject: String = "alice", audience: String, scope: String? = nil, roles: [String]? = nil,
        clientID: String = "test-client", lifetime: TimeInterval = 600, tokenID: String = UUID().uuidString,
        claimedIssuer: String? = nil, extra: JSONObject = JSONObject()
    ) -> JSONObject {
        let issuedAt = clock.now.timeIntervalSince1970.rounded(.down)
        var claims = JSONObject()
        claims["iss"] = .string(claimedIssuer ?? identifier)
        claims["sub"] = .string(subject)
        claims["aud"] = .string(audience)
        claims["iat"] = .number(issuedAt)
        claims["exp"] = .number(issuedAt + lifetime)
        claims["jti"] = .string(tokenID)
        claims["client_id"] = .string(clientID)
        if let tenantID { claims["tid"] = .string(tenantID) }
        if let scope { claims["scope"] = .string(scope) }
        if let roles { claims["roles"] = .array(roles.map(JSONValue.string)) }
        // As the provider marks its tokens: an application's carries roles and no scope.
        claims["idtyp"] = .string(roles != nil && scope == nil ? "app" : "user")
        for member in extra.members { claims[member.name] = member.value }
        return claims
    }

    /// A signed access token (`typ` `at+jwt`) with ``claims(subject:audience:scope:roles:clientID:lifetime:tokenID:claimedIssuer:extra:)``.
    ///
    /// `claimedIssuer` puts another issuer's identifier in `iss` while this issuer's key signs:
    /// the forgery of a stolen key used across issuers, which every verifier must refuse.
    public func accessToken(
        subject: String = "alice", audience: String, scope: String? = nil, roles: [String]? = nil,
        clientID: String = "test-client", lifetime: TimeInterval = 600, tokenID: String = UUID().uuidString,
        claimedIssuer: String? = nil, extra: JSONObject = JSONObject()
    ) throws -> String {
        let claims = claims(subject: subject, audience: audience, scope: scope, roles: roles, clientID: clientID,
                            lifetime: lifetime, tokenID: tokenID, claimedIssuer: claimedIssuer, extra: extra)
        let header = JSONObject(["alg": .string(key.algorithm.rawValue), "kid": .string(key.keyID),
                                 "typ": .string(ExpectedTokenType.accessToken.rawValue)])
        return try TokenSigner(key: key).sign(header: header, payload: JSONWriter().bytes(.object(claims)))
    }
}

extension TrustStore {
    /// A trust store that trusts exactly the given fake issuers, each with its own key.
    public init(trusting issuers: [FakeIssuer]) throws {
        self.init()
        for issuer in issuers { try add(issuer.trustedIssuer()) }
    }
}
