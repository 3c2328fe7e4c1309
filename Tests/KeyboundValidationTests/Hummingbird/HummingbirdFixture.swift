import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Synchronization

/// Keys, trust, tokens and a small app for the Hummingbird middleware tests.
///
/// Two trusted tenants (contoso, fabrikam) each with its own ES256 key, and one untrusted issuer
/// whose key nobody trusts. The clock and the trust store can be changed while an app runs.
final class HBFixture: Sendable {
    static let issuerA = "https://login.keybound.test/Kontoso"
    static let tenantA = "kontoso-tid"
    static let issuerB = "https://login.keybound.test/fabrikam"
    static let tenantB = "fabrikam-tid"
    static let issuerEvil = "https://login.evil.test/common"
    static let audience = "api://mail"
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    let keyA: SigningKey
    let keyB: SigningKey
    let keyEvil: SigningKey
    private let trustBox: Mutex<TrustStore>
    private let nowBox = Mutex(HBFixture.t0)
    let policy: VerificationPolicy

    init(clockSkew: TimeInterval = 60) throws {
        keyA = try SigningKey.generate(algorithm: .es256, issuer: Self.issuerA)
        keyB = try SigningKey.generate(algorithm: .es256, issuer: Self.issuerB)
        keyEvil = try SigningKey.generate(algorithm: .es256, issuer: Self.issuerEvil)
        var trust = TrustStore()
        var a = TrustedIssuer(identifier: Self.issuerA, tenancy: .tenant(Self.tenantA))
        try a.add(TrustedKey(keyA.publicJWK))
        try trust.add(a)
        var b = TrustedIssuer(identifier: Self.issuerB, tenancy: .tenant(Self.tenantB))
        try b.add(TrustedKey(keyB.publicJWK))
        try trust.add(b)
        trustBox = Mutex(trust)
        policy = try VerificationPolicy(audience: Self.audience, clockSkew: clockSkew)
    }

    /// The current time of the verifier's clock.
    var now: Date { nowBox.withLock { $0 } }

    /// Moves the verifier's clock.
    func setNow(_ date: Date) { nowBox.withLock { $0 = date } }

    /// The clock every verifier of this fixture reads.
    var clock: VerificationClock { VerificationClock { [self] in nowBox.withLock { $0 } } }

    /// A verifier over the trust store as it is now.
    func verifier(audience: String? = nil) throws -> TokenVerifier {
        let policy = try audience.map { try VerificationPolicy(audience: $0, clockSkew: self.policy.clockSkew) } ?? self.policy
        return TokenVerifier(trust: trustBox.withLock { $0 }, policy: policy, clock: clock)
    }

    /// The provider handed to the middleware: the current trust at each call.
    var provider: @Sendable () -> TokenVerifier {
        { [self] in TokenVerifier(trust: trustBox.withLock { $0 }, policy: policy, clock: clock) }
    }

    /// Revokes a key in the trust store, as a revocation event would.
    func revoke(issuer: String, keyID: String) {
        let changed = trustBox.withLock { trust in
            trust.updateLifecycle(issuer: issuer, keyID: keyID,
                                  to: KeyLifecycle(revocation: .init(at: Self.t0, reason: "leaked in a test")))
        }
        precondition(changed, "no such key to revoke")
    }

    // MARK: Tokens

    /// Access-token claims (RFC 9068 set) for `issuer`.
    static func claims(
        issuer: String = issuerA, tenant: String? = tenantA, subject: String = "alice", audience: String = audience,
        issuedAt: Date = t0, lifetime: TimeInterval = 600, scope: String? = "Mail.Read", roles: [String]? = nil,
        clientID: String = "mail-client", tokenID: String = UUID().uuidString, extra: [String: JSONValue] = [:]
    ) -> JSONObject {
        var claims = JSONObject()
        claims["iss"] = .string(issuer)
        claims["sub"] = .string(subject)
        claims["aud"] = .string(audience)
        claims["iat"] = .number(issuedAt.timeIntervalSince1970)
        claims["exp"] = .number(issuedAt.timeIntervalSince1970 + lifetime)
        claims["jti"] = .string(tokenID)
        claims["client_id"] = .string(clientID)
        if let tenant { claims["tid"] = .string(tenant) }
        if let scope { claims["scope"] = .string(scope) }
        if let roles { claims["roles"] = .array(roles.map { .string($0) }) }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { claims[name] = value }
        return claims
    }

    /// A delegated (user) token of contoso with `Mail.Read`.
    func userToken(scope: String? = "Mail.Read", lifetime: TimeInterval = 600, tokenID: String = UUID().uuidString) throws -> String {
        try TokenSigner(key: keyA).sign(claims: Self.claims(lifetime: lifetime, scope: scope, tokenID: tokenID))
    }

    /// An application token of contoso: no scope, the given roles.
    func appToken(roles: [String] = ["Mail.ReadWrite.All"]) throws -> String {
        try TokenSigner(key: keyA).sign(claims: Self.claims(subject: "daemon-app", scope: nil, roles: roles, clientID: "daemon-app"))
    }

    /// A delegated token of fabrikam.
    func fabrikamToken(scope: String = "Mail.Read") throws -> String {
        try TokenSigner(key: keyB).sign(claims: Self.claims(issuer: Self.issuerB, tenant: Self.tenantB, scope: scope))
    }

    // MARK: App

    /// An app with the given middleware in front of `/me`, which answers the identity as JSON.
    static func app(
        _ authenticator: BearerAuthenticator<KeyboundRequestContext>,
        require: RequireIdentity<KeyboundRequestContext>? = nil,
        routeRequirement: IdentityRequirement? = nil
    ) -> some ApplicationProtocol {
        let router = Router(context: KeyboundRequestContext.self)
        router.middlewares.add(authenticator)
        if let require { router.middlewares.add(require) }
        router.get("/me") { _, context -> Response in
            if let routeRequirement { _ = try routeRequirement.enforce(on: context) }
            return json(identityObject(context))
        }
        return Application(router: router)
    }

    static func identityObject(_ context: KeyboundRequestContext) -> JSONObject {
        var object = JSONObject()
        object["outcome"] = .string(context.authenticationOutcome?.label ?? "none")
        guard let identity = context.identity else {
            object["anonymous"] = .bool(true)
            return object
        }
        object["iss"] = .string(identity.issuer)
        object["tid"] = identity.tenantID.map(JSONValue.string) ?? .null
        object["sub"] = identity.subject.map(JSONValue.string) ?? .null
        object["client_id"] = identity.clientID.map(JSONValue.string) ?? .null
        object["scopes"] = .array(identity.scopes.map(JSONValue.string))
        object["roles"] = .array(identity.roles.map(JSONValue.string))
        object["jti"] = identity.tokenID.map(JSONValue.string) ?? .null
        object["kid"] = .string(identity.keyID)
        object["aud"] = .array(identity.audience.map(JSONValue.string))
        object["iat"] = identity.issuedAt.map { .number($0.timeIntervalSince1970) } ?? .null
        object["exp"] = identity.expiresAt.map { .number($0.timeIntervalSince1970) } ?? .null
        object["app"] = .bool(identity.isApplication)
        object["digest"] = .string(identity.claimsDigest)
        return object
    }

    static func json(_ object: JSONObject) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter().bytes(.object(object)))))
    }

    static func body(_ response: TestResponse) throws -> JSONObject {
        try StrictJSONParser.parseObject(Array(response.body.readableBytesView))
    }

    static func bearer(_ token: String, scheme: String = "Bearer") -> HTTPFields {
        [.authorization: "\(scheme) \(token)"]
    }
}

/// Collects what the audit hooks saw, in order.
final class HBRecorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
