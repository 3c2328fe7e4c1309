import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundApp
import KeyboundAudit
import KeyboundMail
import KeyboundResourceKit
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Logging
import Testing

/// A provider (issuers consumers and contoso, see ``ProviderFixture``) with Keybound Mail running
/// in-process beside it, a second contoso user, and helpers to get real tokens and forge others.
struct MailFixture {
    let provider: ProviderFixture
    let mail: MailService
    var context: ProviderContext { provider.context }

    static let contosoTenant = DevelopmentBootstrap.tenantID
    static let otherUserAddress = "megan@contoso.example"

    /// `ledgerCheck: false` runs Keybound Mail as a validator without the issuance ledger (like
    /// `keybound mail serve`), so a forgery with a real key reaches the checks behind the verifier.
    ///
    /// `adminToken` enables the admin API and the console; `clock` is the provider's clock;
    /// `mailInDataDirectory` puts Mail's files (its `audit.sqlite`) in the provider's data directory,
    /// as `keybound serve --with-mail` does, where the admin hunt and the console's incidents read them.
    init(ledgerCheck: Bool = true, refusedAuditLimits: RefusedAuditLimits = RefusedAuditLimits(), adminToken: String? = nil,
         clock: (@Sendable () -> Date)? = nil, mailInDataDirectory: Bool = false) async throws {
        provider = try await ProviderFixture(clock: clock, adminToken: adminToken)
        let store = provider.store
        try store.insert(UserRecord(issuerID: "contoso", subject: "contoso-megan-subject", username: "megan",
                                    passwordHash: PasswordHasher.hash(ProviderFixture.password, cost: 4), displayName: "Megan",
                                    email: Self.otherUserAddress, createdAt: Date()))
        try store.insert(ClientRecord(issuerID: "contoso", clientID: "auditor", name: "Tenant audit reader",
                                      authenticationMethod: .clientSecretBasic, secretHash: Secrets.hexDigest(ProviderFixture.secret),
                                      grantTypes: ["client_credentials"], roles: ["api://mail/AuditLog.Read.All"], createdAt: Date()))
        try store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"],
                                        roles: ["Mail.Read.All", "AuditLog.Read.All"]))
        var audit = AuditConfiguration()
        audit.checkpointInterval = 1_000
        mail = try await ProviderMail.service(context: provider.context, directory: mailInDataDirectory ? provider.directory : provider.directory.appendingPathComponent("mail"),
                                        logger: Logger(label: "test.mail"), auditConfiguration: audit, ledgerCheck: ledgerCheck,
                                        refusedAuditLimits: refusedAuditLimits)
    }

    var providerApp: some ApplicationProtocol { provider.app }
    var mailApp: some ApplicationProtocol { Application(router: mail.router()) }

    func remove() { provider.remove() }

    func issuerURL(_ id: String) -> String { context.configuration.issuerURL(id) }

    /// Runs `body` with a test client of the provider and one of Keybound Mail.
    func withClients(_ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void) async throws {
        let mailApp = self.mailApp
        try await providerApp.test(.router) { provider in
            try await mailApp.test(.router) { mail in try await body(provider, mail) }
        }
    }

    /// An application token (client credentials) of `issuer`'s `clientID`.
    static func appToken(_ provider: some TestClientProtocol, issuer: String, clientID: String = "daemon") async throws -> String {
        let response = try await ProviderFixture.post(provider, "/\(issuer)/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                                      authorization: ProviderFixture.basic(clientID, ProviderFixture.secret))
        #expect(response.status == .ok)
        let token = try ProviderFixture.json(response)["access_token"]?.stringValue
        return try #require(token)
    }

    /// A delegated token of `issuer`'s test user for Mail.Read and Mail.Send.
    static func userToken(_ provider: some TestClientProtocol, issuer: String) async throws -> String {
        let response = try await ProviderFixture.codeFlow(provider, issuer: issuer, scope: "openid api://mail/Mail.Read api://mail/Mail.Send")
        return try #require(response["access_token"]?.stringValue)
    }

    /// A token signed by `key` (any issuer's, or an attacker's) with these claims.
    func forge(with key: SigningKey, issuer: String, tenant: String?, audience: String = "api://mail",
               extra: [String: JSONValue] = ["roles": .array([.string("Mail.Read.All")]), "idtyp": .string("app")]) throws -> String {
        let now = Date().timeIntervalSince1970.rounded(.down)
        var claims = JSONObject(["iss": .string(issuer), "sub": .string("forged-subject"), "aud": .string(audience),
                                 "exp": .number(now + 300), "iat": .number(now), "nbf": .number(now),
                                 "jti": .string(UUID().uuidString), "client_id": .string("attacker-app")])
        if let tenant { claims["tid"] = .string(tenant) }
        for (name, value) in extra { claims[name] = value }
        // TokenSigner refuses to sign another issuer's claims; an attacker holding the key does not care.
        let header = JSONObject(["alg": .string(key.algorithm.rawValue), "kid": .string(key.keyID), "typ": .string("at+jwt")])
        return try TokenSigner(key: key).sign(header: header, payload: JSONWriter().bytes(.object(claims)))
    }

    /// GET `uri` on Keybound Mail with `token`.
    static func get(_ mail: some TestClientProtocol, _ uri: String, token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.userAgent: "keybound-tests"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await mail.execute(uri: uri, method: .get, headers: headers)
    }

    /// The last audit record.
    func lastAudit() throws -> AuditRecord {
        try #require(try mail.audit.lastRecordNow())
    }
}
