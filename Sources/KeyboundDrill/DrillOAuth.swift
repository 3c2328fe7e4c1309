import Crypto
import Foundation
import Keybound

/// Getting real tokens from the provider over HTTP, as applications and people do: client
/// credentials for the daemons, the authorization-code flow with PKCE through the login form for
/// people (once), then the refresh-token grant each day.
struct DrillOAuth: Sendable {
    /// The web mail client's redirect URI. Nothing listens there: the drill reads the code from the
    /// redirect itself.
    static let redirectURI = "http://127.0.0.1:8400/callback"

    let http: DrillHTTP

    struct Tokens: Sendable {
        let accessToken: String
        let refreshToken: String?
    }

    /// A client-credentials access token for Keybound Mail.
    func clientCredentials(issuer: String, clientID: String, secret: String) async throws -> String {
        let reply = try await http.postForm(issuer + "/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                            basic: (clientID, secret), userAgent: "\(clientID)/1.0")
        guard reply.status == 200, let token = reply.json?["access_token"]?.stringValue else {
            throw StormDrillError("\(clientID) got no token from \(issuer) (\(reply.status)): \(reply.text.prefix(200))")
        }
        return token
    }

    /// Signs `user` in through the login page with the web mail client (PKCE S256) and redeems the code.
    func signIn(issuer: String, clientID: String, username: String, password: String) async throws -> Tokens {
        let verifier = Base64URL.encode(Array(Secrets32.random()))
        let challenge = Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
        let query = DrillHTTP.form([
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", Self.redirectURI),
            ("scope", "openid offline_access api://mail/Mail.Read"), ("state", UUID().uuidString),
            ("code_challenge", challenge), ("code_challenge_method", "S256"),
        ])
        let page = try await http.get(issuer + "/authorize?" + query, userAgent: "\(clientID)/1.0")
        guard page.status == 200 else { throw StormDrillError("the login page of \(issuer) answered \(page.status)") }
        let cookie = page.header("Set-Cookie")?.split(separator: ";").first.map(String.init)
        var fields = Self.hiddenFields(page.text)
        fields += [("username", username), ("password", password)]
        let login = try await http.postForm(issuer + "/authorize", fields, cookie: cookie, userAgent: "\(clientID)/1.0")
        guard (300..<400).contains(login.status), let location = login.header("Location"),
              let code = URLComponents(string: location)?.queryItems?.first(where: { $0.name == "code" })?.value else {
            throw StormDrillError("\(username) could not sign in at \(issuer) (\(login.status))")
        }
        let reply = try await http.postForm(issuer + "/token", [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.redirectURI),
            ("code_verifier", verifier), ("client_id", clientID),
        ], userAgent: "\(clientID)/1.0")
        guard reply.status == 200, let json = reply.json, let access = json["access_token"]?.stringValue else {
            throw StormDrillError("the code of \(username) at \(issuer) was not redeemed (\(reply.status))")
        }
        return Tokens(accessToken: access, refreshToken: json["refresh_token"]?.stringValue)
    }

    /// Redeems a refresh token (which rotates); `nil` when the provider refuses it.
    func refresh(issuer: String, clientID: String, refreshToken: String) async throws -> Tokens? {
        let reply = try await http.postForm(issuer + "/token", [
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientID),
        ], userAgent: "\(clientID)/1.0")
        guard reply.status == 200, let json = reply.json, let access = json["access_token"]?.stringValue else { return nil }
        return Tokens(accessToken: access, refreshToken: json["refresh_token"]?.stringValue)
    }

    /// `<input type="hidden" name="X" value="Y">` lines of the login page.
    static func hiddenFields(_ html: String) -> [(String, String)] {
        html.split(separator: "\n").compactMap { line -> (String, String)? in
            guard line.hasPrefix("<input type=\"hidden\"") else { return nil }
            let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
            guard parts.count >= 6 else { return nil }
            return (unescape(String(parts[3])), unescape(String(parts[5])))
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// 32 random bytes (a PKCE verifier).
enum Secrets32 {
    static func random() -> [UInt8] { SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) } }
}
