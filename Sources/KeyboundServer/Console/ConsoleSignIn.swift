import Foundation
import Hummingbird
import Logging
import Keybound
import KeyboundStore

/// The console's sign-in, as an OpenID Connect client of this server's own issuers: authorization
/// code with PKCE (S256), `state` and `nonce`, as the console's public client
/// (``ConsoleResource/clientID``) of the operator issuer or of a tenant's own issuer. There is no
/// password store of the console's own: the issuer's sign-in page checks the password.
///
/// `GET /console/sign-in?issuer=<id>` sends the browser to the issuer's authorization endpoint
/// with a cookie that binds the answer to this browser; `GET /console/callback` checks `state`
/// against that cookie, redeems the code in process (``ConsoleTokens``), checks the ID token's
/// `nonce`, and admits the user only if the access token is a console credential
/// (``ConsoleCredentials``: the issuer's console role, now). `POST /console/sign-out` ends the
/// session.
struct ConsoleSignIn: Sendable {
    let context: ProviderContext
    let sessions: ConsoleSessions
    let cookies: ConsoleCookies

    /// The scope the console asks for.
    static let scope = "openid profile \(ConsoleResource.audience)/\(ConsoleResource.accessScope)"

    /// `GET /console/sign-in?issuer=<id>[&return_to=<console path>][&fresh=1]`.
    func start(_ request: Request) async throws -> Response {
        let query = try FormBody.query(request)
        guard let issuerID = query["issuer"]?.trimmingASCIISpaces, !issuerID.isEmpty,
              let issuer = try await context.manager.issuers().first(where: { $0.id.isExactly(issuerID) }),
              ConsoleResource.role(of: issuer) != nil else {
            return ConsoleResponses.message("Sign-in", "There is no operator or tenant issuer with that id.", status: .badRequest)
        }
        guard let client = try await context.store.client(issuerID: issuer.id, clientID: ConsoleResource.clientID), !client.isDisabled else {
            return ConsoleResponses.message("Sign-in", "The console's client (\(ConsoleResource.clientID)) is not registered, or is disabled, at issuer '\(issuer.id)'.",
                                            status: .badRequest)
        }
        let verifier = Secrets.random256()
        let state = Secrets.random256()
        let nonce = Secrets.random256()
        let returnTo = Self.consolePath(query["return_to"]) ?? "/console"
        let cookie = sessions.start(.init(issuerID: issuer.id, state: state, codeVerifier: verifier, nonce: nonce,
                                          returnTo: returnTo, startedAt: context.now()))
        var parameters = [
            ("response_type", "code"), ("client_id", ConsoleResource.clientID),
            ("redirect_uri", DevelopmentBootstrap.consoleRedirectURI(context.configuration)), ("scope", Self.scope),
            ("state", state), ("nonce", nonce), ("code_challenge", PKCE.challenge(for: verifier)), ("code_challenge_method", "S256"),
        ]
        // A revocation or an incident asks for a password typed within the last five minutes.
        if query["fresh"] == "1" { parameters.append(("max_age", String(Int(ConsoleSessionPolicy().freshSignIn)))) }
        let location = issuer.url + "/authorize?" + parameters.map { "\($0.0)=\(ConsoleTokens.formEncode($0.1))" }.joined(separator: "&")
        return ConsoleResponses.redirect(to: location, cookies: [cookies.signIn.setting(cookie)])
    }

    /// `GET /console/callback`: the authorization endpoint's answer.
    func callback(_ request: Request) async throws -> Response {
        let clear = cookies.signIn.clearing
        guard let cookie = cookies.signIn.value(in: request), let pending = sessions.finish(cookie, now: context.now()) else {
            return ConsoleResponses.message("Sign-in", "No console sign-in is in progress in this browser, or it took longer than ten minutes. Start again.",
                                            status: .badRequest, cookies: [clear])
        }
        let query = try FormBody.query(request)
        guard let state = query["state"], Secrets.constantTimeEquals(state, pending.state) else {
            return ConsoleResponses.message("Sign-in", "The answer does not belong to the sign-in this browser started.", status: .badRequest, cookies: [clear])
        }
        if let error = query["error"] {
            let description = query["error_description"].map { ": \($0.prefix(300))" } ?? ""
            return ConsoleResponses.message("Sign-in", "The issuer refused the sign-in (\(error.prefix(64))\(description)).", status: .forbidden, cookies: [clear])
        }
        guard let code = query["code"] else {
            return ConsoleResponses.message("Sign-in", "The answer carries no authorization code.", status: .badRequest, cookies: [clear])
        }
        guard let issuer = try await context.manager.issuers().first(where: { $0.id.isExactly(pending.issuerID) }) else {
            return ConsoleResponses.message("Sign-in", "The issuer is gone.", status: .badRequest, cookies: [clear])
        }
        let issued: ConsoleTokens.Issued
        do {
            issued = try await ConsoleTokens(context: context).exchange(code: code, verifier: pending.codeVerifier, issuer: issuer)
        } catch let error as OAuthError {
            return ConsoleResponses.message("Sign-in", "The code was refused: \(error.errorDescription)", status: .forbidden, cookies: [clear])
        }
        let now = context.now()
        guard let idToken = issued.idToken, let claims = TokenInspection(token: idToken, now: now, tokenType: .jwt).claims,
              case .string(let nonce)? = claims["nonce"], Secrets.constantTimeEquals(nonce, pending.nonce),
              case .number(let authTime)? = claims["auth_time"] else {
            await discard(issued, issuer: issuer)
            return ConsoleResponses.message("Sign-in", "The ID token does not match this sign-in (nonce).", status: .forbidden, cookies: [clear])
        }
        let caller: AdminCaller
        do {
            caller = try await ConsoleCredentials(context: context).caller(issued.accessToken)
        } catch let error as OAuthError {
            await discard(issued, issuer: issuer)
            return ConsoleResponses.message("Not a console user", error.errorDescription, status: .forbidden, cookies: [clear])
        }
        switch caller {
        case .consoleOperator(let user), .tenantAdmin(let user):
            let response = session(for: user, issued: issued, authTime: authTime, claims: claims, returnTo: pending.returnTo, clear: clear,
                                   replacing: cookies.session.value(in: request))
            if response.status != .seeOther { await discard(issued, issuer: issuer) }
            return response
        case .adminToken:
            await discard(issued, issuer: issuer)
            return ConsoleResponses.message("Not a console user", "The admin token is not a console sign-in.", status: .forbidden, cookies: [clear])
        }
    }

    /// Revokes the tokens of a sign-in the console refused (RFC 7009, in process), so that none
    /// stays live with no session to end it. Best effort: they expire soon anyway.
    private func discard(_ issued: ConsoleTokens.Issued, issuer: IssuerRecord) async {
        do {
            try await ConsoleTokens(context: context).revoke(accessToken: issued.accessToken, refreshToken: issued.refreshToken, issuer: issuer)
        } catch {
            Logger(label: "keybound.console").warning("console: could not revoke the tokens of a refused sign-in", metadata: ["issuer": "\(issuer.id)"])
        }
    }

    /// A new session for `user`; the browser's previous session (`replacing`), if any, ends: a
    /// fresh sign-in replaces it.
    private func session(for user: AdminCaller.ConsoleUser, issued: ConsoleTokens.Issued, authTime: Double, claims: JSONObject,
                         returnTo: String, clear: String, replacing previous: String?) -> Response {
        let now = context.now()
        let username = claims["preferred_username"]?.stringValue ?? user.subject
        let session = ConsoleSessions.Session(
            issuerID: user.issuerID, subject: user.subject, username: username, authTime: Date(timeIntervalSince1970: authTime),
            createdAt: now, lastSeen: now, accessToken: issued.accessToken, accessExpiresAt: issued.accessExpiresAt,
            refreshToken: issued.refreshToken, csrfToken: Secrets.random256())
        guard let cookie = sessions.create(session) else {
            return ConsoleResponses.message("Sign-in", "The console holds as many sessions as it may; try again later.",
                                            status: .serviceUnavailable, cookies: [clear])
        }
        if let previous { sessions.end(previous) }
        return ConsoleResponses.redirect(to: returnTo, cookies: [clear, cookies.session.setting(cookie)])
    }

    /// `POST /console/sign-out`: ends the session, if the form carries its CSRF token.
    func signOut(_ request: Request) async throws -> Response {
        guard let cookie = cookies.session.value(in: request), let session = sessions.use(cookie, now: context.now()) else {
            return ConsoleResponses.redirect(to: "/console", cookies: [cookies.session.clearing])
        }
        let form = try await FormBody.read(request)
        guard let token = form["csrf_token"], Secrets.constantTimeEquals(token, session.csrfToken) else {
            return ConsoleResponses.message("Refused", "The form is missing its CSRF token, or it is not this session's; nothing was changed.",
                                            status: .forbidden)
        }
        sessions.end(cookie)
        // The tokens the session held die with it (best effort: the session is over either way,
        // and the access token expires within minutes).
        if let issuer = try? await context.manager.issuer(id: session.issuerID) {
            do {
                try await ConsoleTokens(context: context).revoke(accessToken: session.accessToken, refreshToken: session.refreshToken, issuer: issuer)
            } catch {
                Logger(label: "keybound.console").warning("console: sign-out could not revoke the session's tokens", metadata: ["issuer": "\(issuer.id)"])
            }
        }
        return ConsoleResponses.redirect(to: "/console", cookies: [cookies.session.clearing])
    }

    /// `text` if it is a path of the console (`/console` or below it; letters, digits, `-._~/`),
    /// so that `return_to` can never send the browser elsewhere.
    static func consolePath(_ text: String?) -> String? {
        guard let text, text == "/console" || text.hasPrefix("/console/"), !text.contains("//"), text.utf8.count <= 200,
              text.utf8.allSatisfy({ byte in
                  (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                      || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                      || byte == UInt8(ascii: "~") || byte == UInt8(ascii: "/")
              }), !text.contains("/../"), !text.hasSuffix("/..") else { return nil }
        return text
    }
}

/// The console's two cookies: the session, and the sign-in in progress. `__Host-` with `Secure`,
/// `HttpOnly` and `SameSite=Strict`, except on a plain-http loopback URL in development
/// (``CSRFCookie``).
struct ConsoleCookies: Sendable {
    let session: CSRFCookie
    let signIn: CSRFCookie

    init(publicURL: String) {
        session = CSRFCookie(baseName: "kb_console", publicURL: publicURL)
        signIn = CSRFCookie(baseName: "kb_console_signin", publicURL: publicURL, valueLength: 43...ConsoleSessions.maximumSignInCookie)
    }
}
