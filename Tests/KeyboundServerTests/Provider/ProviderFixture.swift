import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing
import KeyboundTesting

/// A provider over a fresh data directory with two issuers (`consumers`, `contoso`), each with a
/// known user, a secret client, a public client, a `private_key_jwt` client and Keybound Mail,
/// whose server client (RFC 7662 introspection, token events) is `daemon`.
struct ProviderFixture {
    let directory: URL
    let context: ProviderContext
    /// The provider store, as its SQLite self: tests call it synchronously.
    let store: SQLiteProviderStore
    var configuration: ServerConfiguration { context.configuration }
    static let publicURL = "https://id.keybound.test"
    static let password = "correct horse battery staple"
    static let secret = "kbs_test-secret-0123456789abcdefghijklmnopqrstu"
    static let redirect = "http://127.0.0.1:8400/callback"
    /// The `private_key_jwt` client's key (per issuer).
    let assertionKeys: [String: SigningKey]

    /// A fixture on `clock` (e.g. a ``TestClock``; it wins), or fixed at `now`, or on the system
    /// clock, with `streamLimits` on its event streams; `configure` adjusts the configuration before
    /// the context is made.
    init(now: Date? = nil, clock: (@Sendable () -> Date)? = nil, publicURL: String = ProviderFixture.publicURL,
         adminToken: String? = nil, streamLimits: StreamLimits = StreamLimits(),
         configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-provider-\(UUID().uuidString)")
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
        var configuration = ServerConfiguration(publicURL: publicURL, adminToken: adminToken, passwordHashCost: 4, streamLimits: streamLimits)
        configure(&configuration)
        let time: @Sendable () -> Date
        if let clock { time = clock } else if let now { time = { now } } else { time = { Date() } }
        store = try SQLiteProviderStore(directory: directory)
        context = ProviderContext(manager: manager, store: store, configuration: configuration, now: time)
        let created = time()
        var keys: [String: SigningKey] = [:]
        for (id, kind, tenant) in [("consumers", IssuerRecord.Kind.consumer, nil as String?), ("contoso", .tenant, DevelopmentBootstrap.tenantID)] {
            let issuer = IssuerRecord(id: id, url: configuration.issuerURL(id), kind: kind, tenantID: tenant, algorithm: .es256,
                                      createdAt: created.addingTimeInterval(-60))
            try await manager.createIssuer(issuer)
            try store.upsert(ResourceRecord(issuerID: id, audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"], roles: ["Mail.Read.All"]))
            try store.insert(UserRecord(issuerID: id, subject: "\(id)-user-subject", username: "user", passwordHash: PasswordHasher.hash(Self.password, cost: 4),
                                        displayName: "Test User", email: "user@\(id).example", createdAt: created))
            try store.insert(ClientRecord(issuerID: id, clientID: "daemon", name: "Daemon", authenticationMethod: .clientSecretBasic,
                                          secretHash: Secrets.hexDigest(Self.secret), redirectURIs: [Self.redirect],
                                          grantTypes: ClientRecord.supportedGrantTypes, roles: ["api://mail/Mail.Read.All"], createdAt: created))
            try store.insert(ClientRecord(issuerID: id, clientID: "poster", name: "Poster", authenticationMethod: .clientSecretPost,
                                          secretHash: Secrets.hexDigest(Self.secret), grantTypes: ["client_credentials"],
                                          roles: ["api://mail/Mail.Read.All"], createdAt: created))
            try store.insert(ClientRecord(issuerID: id, clientID: "web", name: "Web", authenticationMethod: .none,
                                          redirectURIs: [Self.redirect], grantTypes: ["authorization_code", "refresh_token"], createdAt: created))
            try store.insert(ClientRecord(issuerID: id, clientID: "partner", name: "Partner App", authenticationMethod: .none,
                                          redirectURIs: [Self.redirect], grantTypes: ["authorization_code", "refresh_token"],
                                          isFirstParty: false, createdAt: created))
            let key = try SigningKey.generate(algorithm: .es256, issuer: "signer", keyID: "signer-\(id)")
            keys[id] = key
            let jwks = JSONWriter().string(.object(JSONObject(["keys": .array([.object(key.publicJWK.publicJSON)])])))
            try store.insert(ClientRecord(issuerID: id, clientID: "signer", name: "Signer", authenticationMethod: .privateKeyJWT, jwks: jwks,
                                          grantTypes: ["client_credentials"], roles: ["api://mail/Mail.Read.All"], createdAt: created))
            try store.upsert(ResourceRecord(issuerID: id, audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"], roles: ["Mail.Read.All"],
                                            serverClients: ["daemon"]))
        }
        assertionKeys = keys
    }

    var app: some ApplicationProtocol { Application(router: KeyboundApplication.router(context: context)) }

    /// The same application on a free loopback port, for `.live` tests (a real TCP peer address).
    var liveApp: some ApplicationProtocol {
        Application(router: KeyboundApplication.router(context: context), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    // MARK: Requests

    static func form(_ parameters: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = parameters.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return ByteBuffer(string: text)
    }

    static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func post(_ client: some TestClientProtocol, _ uri: String, _ parameters: [(String, String)],
                     authorization: String? = nil) async throws -> TestResponse {
        var headers = formHeaders
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: form(parameters))
    }

    static func json(_ response: TestResponse) throws -> JSONObject {
        try StrictJSONParser.parseObject(Array(response.body.readableBytesView))
    }

    /// A client-credentials token for `daemon` at `issuer`.
    static func clientCredentials(_ client: some TestClientProtocol, issuer: String) async throws -> JSONObject {
        let response = try await post(client, "/\(issuer)/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                      authorization: basic("daemon", secret))
        #expect(response.status == .ok)
        return try json(response)
    }

    // MARK: Authorization code flow

    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static var challenge: String { Base64URL.encode(SHA256.hash(data: Array(verifier.utf8))) }

    static func authorizeQuery(clientID: String = "web", scope: String = "openid profile email api://mail/Mail.Read",
                               extra: [(String, String)] = [], challenge: String? = nil, method: String = "S256") -> String {
        var parameters = [("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirect), ("scope", scope),
                          ("state", "st-123"), ("nonce", "n-456"), ("code_challenge", challenge ?? Self.challenge),
                          ("code_challenge_method", method)]
        parameters += extra
        return String(buffer: form(parameters))
    }

    /// Drives the login page: GET authorize, POST the form with the CSRF cookie. Returns the POST response.
    static func signIn(_ client: some TestClientProtocol, issuer: String, query: String, username: String = "user",
                       password: String = password, consent: Bool = false) async throws -> TestResponse {
        let page = try await client.execute(uri: "/\(issuer)/authorize?\(query)", method: .get)
        #expect(page.status == .ok)
        let html = String(buffer: page.body)
        let cookie = page.headers[.setCookie]?.split(separator: ";").first.map(String.init) ?? ""
        var fields = hiddenFields(html)
        fields.append(("username", username))
        fields.append(("password", password))
        if consent { fields.append(("consent", "yes")) }
        var headers = formHeaders
        headers[.cookie] = cookie
        return try await client.execute(uri: "/\(issuer)/authorize", method: .post, headers: headers, body: form(fields))
    }

    static func hiddenFields(_ html: String) -> [(String, String)] {
        var fields: [(String, String)] = []
        for line in html.split(separator: "\n") where line.hasPrefix("<input type=\"hidden\"") {
            let parts = line.split(separator: "\"")
            // <input type="hidden" name="X" value="Y">
            if parts.count >= 6 { fields.append((unescape(String(parts[3])), unescape(String(parts[5])))) }
        }
        return fields
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Query parameters of a redirect's `Location`.
    static func redirectParameters(_ response: TestResponse) -> [String: String] {
        guard let location = response.headers[.location], let components = URLComponents(string: location) else { return [:] }
        var result: [String: String] = [:]
        for item in components.queryItems ?? [] { result[item.name] = item.value }
        return result
    }

    /// A full authorization code flow for the public client (or, with `authorization`, a
    /// confidential one authenticating with it); returns the token response.
    static func codeFlow(_ client: some TestClientProtocol, issuer: String, clientID: String = "web",
                         scope: String = "openid profile email offline_access api://mail/Mail.Read",
                         authorization: String? = nil) async throws -> JSONObject {
        let login = try await signIn(client, issuer: issuer, query: authorizeQuery(clientID: clientID, scope: scope))
        #expect(login.status == .seeOther)
        let code = try #require(redirectParameters(login)["code"])
        let response = try await post(client, "/\(issuer)/token", [("grant_type", "authorization_code"), ("code", code),
                                                                   ("redirect_uri", redirect), ("code_verifier", verifier), ("client_id", clientID)],
                                      authorization: authorization)
        #expect(response.status == .ok)
        return try json(response)
    }

    /// Whether the refresh token `token` of `issuer` is live in the store: unspent, unrevoked,
    /// unexpired. (The public client that owns most test refresh tokens cannot introspect them.)
    func isRefreshTokenLive(_ token: String, issuer: String = "contoso") throws -> Bool {
        guard let record = try store.refreshToken(issuerID: issuer, tokenHash: Secrets.hexDigest(token)) else { return false }
        return record.spentAt == nil && record.revokedAt == nil && record.expiresAt > context.now()
    }

    /// The claims of a compact JWS, unverified.
    static func claims(_ token: String) -> JSONObject {
        TokenInspection(token: token, now: Date()).claims ?? JSONObject()
    }
}
