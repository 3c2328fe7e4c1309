import Foundation
import Hummingbird
import KeyboundStore
import Synchronization

/// `GET /<issuer>/authorize` shows the sign-in page; `POST` checks the password and redirects back
/// with a one-time code. Only the issuer's own users can sign in; consent is asked of third-party
/// clients only. A double-submit cookie protects the form from cross-site posts.
struct AuthorizeEndpoint: Sendable {
    let context: ProviderContext

    static let csrfCookie = "kb_csrf"

    func show(_ request: Request, issuerID: String) async throws -> Response {
        let issuer = try context.issuer(issuerID)
        let form: FormBody
        do { form = try FormBody.query(request) } catch { return LoginPage.error(error.errorDescription) }
        switch Result(catching: { () throws(AuthorizationRequest.Failure) in try AuthorizationRequest.validate(form, issuer: issuer, context: context) }) {
        case .failure(let failure): return respond(failure, issuer: issuer)
        case .success(let authorization):
            let csrf = Secrets.random256()
            return page(authorization, issuer: issuer, csrf: csrf, error: nil, status: .ok,
                        setCookie: "\(Self.csrfCookie)=\(csrf); Path=/\(issuer.id)/authorize; HttpOnly; SameSite=Strict")
        }
    }

    func submit(_ request: Request, issuerID: String) async throws -> Response {
        let issuer = try context.issuer(issuerID)
        let form: FormBody
        do { form = try await FormBody.read(request) } catch let error as OAuthError { return LoginPage.error(error.errorDescription, status: error.status) }
        let authorization: AuthorizationRequest
        switch Result(catching: { () throws(AuthorizationRequest.Failure) in try AuthorizationRequest.validate(form, issuer: issuer, context: context) }) {
        case .failure(let failure): return respond(failure, issuer: issuer)
        case .success(let validated): authorization = validated
        }
        guard let cookie = Self.cookie(Self.csrfCookie, in: request), let field = form["csrf_token"],
              Secrets.constantTimeEquals(cookie, field) else {
            return LoginPage.error("The sign-in form expired or was posted from another site. Start again from the application.", status: .forbidden)
        }
        let username = form["username"] ?? ""
        let password = form["password"] ?? ""
        let user = try context.store.user(issuerID: issuer.id, username: username)
        // Unknown users are checked against a dummy hash of the same cost: same time either way.
        let matches = await PasswordHasher.verify(password, hash: user?.passwordHash ?? DummyHash.forCost(context.configuration.passwordHashCost))
        guard let user, matches, !user.isDisabled, !password.isEmpty else {
            return page(authorization, issuer: issuer, csrf: field, error: "Wrong username or password.", status: .unauthorized, setCookie: nil)
        }
        if !authorization.client.isFirstParty && form["consent"] != "yes" {
            return page(authorization, issuer: issuer, csrf: field, error: "Tick “Allow this” to continue.", status: .ok, setCookie: nil)
        }
        let now = context.now()
        let code = Secrets.random256()
        try context.store.insert(AuthorizationCodeRecord(
            codeHash: Secrets.hexDigest(code), issuerID: issuer.id, clientID: authorization.client.clientID, subject: user.subject,
            redirectURI: authorization.redirectURI, scope: authorization.scope.scopeString, resource: authorization.scope.resource,
            codeChallenge: authorization.codeChallenge, nonce: authorization.nonce, sessionID: Secrets.uuid(), authTime: now,
            expiresAt: now.addingTimeInterval(context.configuration.authorizationCodeLifetime)))
        let location = AuthorizationRequest.redirect(authorization.redirectURI,
                                                     [("code", code), ("state", authorization.state), ("iss", issuer.url)])
        return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store",
                                                     .setCookie: "\(Self.csrfCookie)=; Path=/\(issuer.id)/authorize; Max-Age=0; HttpOnly; SameSite=Strict"])
    }

    private func page(_ authorization: AuthorizationRequest, issuer: IssuerRecord, csrf: String, error: String?,
                      status: HTTPResponse.Status, setCookie: String?) -> Response {
        LoginPage.render(.init(
            issuerName: issuer.id, issuerURL: issuer.url, clientName: authorization.client.name,
            scopes: GrantedScope.items(authorization.requestedScope), needsConsent: !authorization.client.isFirstParty,
            hiddenFields: authorization.hiddenFields, csrfToken: csrf, action: "/\(issuer.id)/authorize", error: error),
            status: status, setCookie: setCookie)
    }

    private func respond(_ failure: AuthorizationRequest.Failure, issuer: IssuerRecord) -> Response {
        switch failure {
        case .page(let message):
            return LoginPage.error(message)
        case .redirect(let uri, let state, let error, let description):
            let location = AuthorizationRequest.redirect(uri, [("error", error), ("error_description", description),
                                                               ("state", state), ("iss", issuer.url)])
            return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        }
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }
}

/// A bcrypt hash of a random password per cost, computed once, to check unknown users against.
enum DummyHash {
    private static let hashes = Mutex<[UInt8: String]>([:])

    static func forCost(_ cost: UInt8) -> String {
        if let hash = hashes.withLock({ $0[cost] }) { return hash }
        let hash = PasswordHasher.hash(Secrets.random256(), cost: cost)
        hashes.withLock { $0[cost] = hash }
        return hash
    }
}
