import Foundation
import Hummingbird
import KeyboundStore
import Synchronization

/// `GET /<issuer>/authorize` shows the sign-in page; `POST` checks the password and redirects back
/// with a one-time code. Only the issuer's own users can sign in; consent is asked of third-party
/// clients only. The form carries a CSRF token bound to its cookie and to the authorization request
/// (``CSRFProtection``); a post is throttled per account and per client address before any password
/// is hashed (``SignInThrottle``), and the hash runs on the bounded ``PasswordHashPool``.
struct AuthorizeEndpoint: Sendable {
    let context: ProviderContext

    func show(_ request: Request, issuer: IssuerRecord) async throws -> Response {
        let form: FormBody
        do { form = try FormBody.query(request) } catch { return LoginPage.error(error.errorDescription) }
        switch await AuthorizationRequest.result(form, issuer: issuer, context: context) {
        case .failure(let failure): return respond(failure, issuer: issuer)
        case .success(let authorization):
            let csrf = context.csrf
            // A cookie this browser already has is kept, so two sign-in tabs do not undo each other.
            let cookieValue = csrf.cookie.value(in: request) ?? Secrets.random256()
            let token = csrf.token(cookieValue: cookieValue, issuer: issuer.id, authorization: authorization)
            return page(authorization, issuer: issuer, csrf: token, error: nil, status: .ok, setCookie: csrf.cookie.setting(cookieValue))
        }
    }

    /// `peer` is the TCP peer's address (`nil` without a socket).
    func submit(_ request: Request, issuer: IssuerRecord, peer: IPAddress?) async throws -> Response {
        let form: FormBody
        do { form = try await FormBody.read(request) } catch let error as OAuthError { return LoginPage.error(error.errorDescription, status: error.status) }
        let authorization: AuthorizationRequest
        switch await AuthorizationRequest.result(form, issuer: issuer, context: context) {
        case .failure(let failure): return respond(failure, issuer: issuer)
        case .success(let validated): authorization = validated
        }
        let csrf = context.csrf
        guard let cookieValue = csrf.cookie.value(in: request), let token = form["csrf_token"],
              csrf.isValid(token: token, cookieValue: cookieValue, issuer: issuer.id, authorization: authorization) else {
            ProviderMetrics.signIn(issuer: issuer.id, outcome: .csrfRefused)
            return LoginPage.error("The sign-in form expired or was posted from another site. Start again from the application.", status: .forbidden)
        }
        let username = form["username"] ?? ""
        let password = form["password"] ?? ""
        guard let user = try await checkPassword(issuer: issuer, username: username, password: password,
                                                 client: context.clientAddresses.clientAddress(peer: peer, headers: request.headers)) else {
            return page(authorization, issuer: issuer, csrf: token, error: "Wrong username or password.", status: .unauthorized, setCookie: nil)
        }
        if !authorization.client.isFirstParty && form["consent"] != "yes" {
            return page(authorization, issuer: issuer, csrf: token, error: "Tick “Allow this” to continue.", status: .ok, setCookie: nil)
        }
        let now = context.now()
        let code = Secrets.random256()
        try await context.store.insert(AuthorizationCodeRecord(
            codeHash: Secrets.hexDigest(code), issuerID: issuer.id, clientID: authorization.client.clientID, subject: user.subject,
            redirectURI: authorization.redirectURI, scope: authorization.scope.scopeString, resource: authorization.scope.resource,
            codeChallenge: authorization.codeChallenge, nonce: authorization.nonce, sessionID: Secrets.uuid(), authTime: now,
            expiresAt: now.addingTimeInterval(context.configuration.authorizationCodeLifetime)))
        let location = AuthorizationRequest.redirect(authorization.redirectURI,
                                                     [("code", code), ("state", authorization.state), ("iss", issuer.url)])
        return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store", .setCookie: csrf.cookie.clearing])
    }

    /// The user, if `password` is theirs and they may sign in; `nil` for a wrong password, an unknown
    /// or a disabled user (after the same bcrypt work). Throws 429 when the account or the client
    /// address is throttled and 503 when the hashing pool is full, both before any hashing.
    private func checkPassword(issuer: IssuerRecord, username: String, password: String, client: IPAddress?) async throws -> UserRecord? {
        let throttle = context.signInThrottle
        let ticket: SignInThrottle.Ticket
        switch throttle.admit(issuer: issuer.id, username: username, address: client, now: context.now()) {
        case .throttled(let retryAfter, let scope):
            ProviderMetrics.signIn(issuer: issuer.id, outcome: scope == .account ? .throttledAccount : .throttledAddress)
            throw OAuthError.signInThrottled(scope, retryAfter: retryAfter)
        case .admitted(let admitted):
            ticket = admitted
        }
        var failed: Bool?
        defer { throttle.finish(ticket, failed: failed, now: context.now()) }
        let user = try await context.store.user(issuerID: issuer.id, username: username)
        let hash = user?.passwordHash
        let cost = context.configuration.passwordHashCost
        let matches: Bool
        do {
            // Unknown users are checked against a dummy hash of the same cost: same time either way.
            matches = try await context.passwordHashes.run { PasswordHasher.verify(password, hash: hash ?? DummyHash.forCost(cost)) }
        } catch {
            ProviderMetrics.signIn(issuer: issuer.id, outcome: .shed)
            throw OAuthError.passwordHashingBusy(retryAfter: error.retryAfter)
        }
        guard let user, matches, !user.isDisabled, !password.isEmpty else {
            failed = true
            ProviderMetrics.signIn(issuer: issuer.id, outcome: .failed)
            return nil
        }
        failed = false
        ProviderMetrics.signIn(issuer: issuer.id, outcome: .succeeded)
        return user
    }

    private func page(_ authorization: AuthorizationRequest, issuer: IssuerRecord, csrf: String, error: String?,
                      status: HTTPResponse.Status, setCookie: String?) -> Response {
        LoginPage.render(.init(
            issuerName: issuer.id, issuerURL: issuer.url, clientName: authorization.client.name,
            scopes: GrantedScope.items(authorization.requestedScope), needsConsent: !authorization.client.isFirstParty,
            hiddenFields: authorization.hiddenFields, csrfToken: csrf, action: "/\(issuer.id)/authorize", error: error,
            stylesheetPath: "/\(issuer.id)/sign-in.css"),
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
}

/// A bcrypt hash of a random password per cost, computed once (on a hashing thread), to check
/// unknown users against.
enum DummyHash {
    private static let hashes = Mutex<[UInt8: String]>([:])

    static func forCost(_ cost: UInt8) -> String {
        if let hash = hashes.withLock({ $0[cost] }) { return hash }
        let hash = PasswordHasher.hash(Secrets.random256(), cost: cost)
        hashes.withLock { $0[cost] = hash }
        return hash
    }
}
