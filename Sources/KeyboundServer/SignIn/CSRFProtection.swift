import Crypto
import Foundation
import Hummingbird
import Keybound

/// The sign-in form's CSRF defence: a cookie holding a random value, and in the form a token that
/// is an HMAC-SHA256, under a server secret, of that value, the issuer and the authorization
/// request (client_id, redirect_uri, state, code_challenge). Only the server can mint a token, a
/// token fits one cookie value, and it fits only the request it was shown for.
struct CSRFProtection: Sendable {
    /// The cookie's name and attributes.
    let cookie: CSRFCookie
    private let key: SymmetricKey

    /// The secret of this process, when none is configured.
    private static let processSecret = SymmetricKey(size: .bits256)

    /// Under `secret` (a configured one, shared by every node behind one public URL), or a random
    /// secret of this process when `nil`. The HMAC key is derived from the secret with HKDF, so the
    /// secret is never used directly.
    init(secret: [UInt8]?, publicURL: String) {
        let material = secret.map { SymmetricKey(data: $0) } ?? Self.processSecret
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: material, info: Array("keybound sign-in csrf v1".utf8), outputByteCount: 32)
        cookie = CSRFCookie(publicURL: publicURL)
    }

    /// The form token for the cookie value `cookieValue` and `authorization` at `issuer`: 43
    /// base64url characters.
    func token(cookieValue: String, issuer: String, authorization: AuthorizationRequest) -> String {
        Base64URL.encode(Array(mac(cookieValue: cookieValue, issuer: issuer, authorization: authorization)))
    }

    /// Whether `token` is the token of `cookieValue` and `authorization` at `issuer`, compared in
    /// constant time.
    func isValid(token: String, cookieValue: String, issuer: String, authorization: AuthorizationRequest) -> Bool {
        guard CSRFCookie.isWellFormed(cookieValue), token.utf8.count == 43, let bytes = Base64URL.decode(token), bytes.count == 32 else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: message(cookieValue: cookieValue, issuer: issuer,
                                                                                   authorization: authorization), using: key)
    }

    private func mac(cookieValue: String, issuer: String, authorization: AuthorizationRequest) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: message(cookieValue: cookieValue, issuer: issuer, authorization: authorization), using: key)
    }

    /// The MAC'd bytes: a version label and each field length-prefixed (4 bytes, big-endian), the
    /// optional state after a presence byte, so no field's bytes can shift into another's.
    private func message(cookieValue: String, issuer: String, authorization: AuthorizationRequest) -> [UInt8] {
        var bytes: [UInt8] = []
        func append(_ field: String) {
            let utf8 = Array(field.utf8)
            let length = UInt32(clamping: utf8.count)
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            bytes += utf8
        }
        append("kb-csrf-v1")
        append(cookieValue)
        append(issuer)
        append(authorization.client.clientID)
        append(authorization.redirectURI)
        if let state = authorization.state {
            bytes.append(1)
            append(state)
        } else {
            bytes.append(0)
        }
        append(authorization.codeChallenge)
        return bytes
    }
}

/// The CSRF cookie: `__Host-kb_csrf` with `Path=/; Secure; HttpOnly; SameSite=Strict`, or, only
/// when the public URL is plain http on a loopback host (development), `kb_csrf` without `Secure`:
/// browsers drop a `Secure` cookie set over http, and a `__Host-` cookie must be `Secure`.
struct CSRFCookie: Sendable, Equatable {
    /// The cookie's name.
    let name: String
    /// Whether it carries `Secure` (and the `__Host-` prefix).
    let isSecure: Bool
    /// How many base64url characters a well-formed value has: 43 for a random value
    /// (``Secrets/random256(prefix:)``); more for a sealed one (the console's sign-in).
    let valueLength: ClosedRange<Int>

    /// The name of the secure cookie.
    static let secureName = "__Host-kb_csrf"
    /// The name of the development cookie (http on loopback only).
    static let developmentName = "kb_csrf"

    init(publicURL: String) {
        self.init(baseName: Self.developmentName, publicURL: publicURL)
    }

    /// A cookie named `__Host-<baseName>`, or `baseName` when the public URL is plain http on a
    /// loopback host (development); the console's cookies are made this way too.
    init(baseName: String, publicURL: String, valueLength: ClosedRange<Int> = 43...43) {
        isSecure = !Self.isLoopbackHTTP(publicURL)
        name = isSecure ? "__Host-" + baseName : baseName
        self.valueLength = valueLength
    }

    /// Whether `url` is `http://` on `localhost`, an address in 127.0.0.0/8, or `::1`.
    static func isLoopbackHTTP(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http",
              var host = components.host?.lowercased() else { return false }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { return true }
        guard let address = IPAddress(host) else { return false }
        return address.isIPv4 ? address.bytes[0] == 127 : address.bytes == Array(repeating: 0, count: 15) + [1]
    }

    private var attributes: String { "Path=/; " + (isSecure ? "Secure; " : "") + "HttpOnly; SameSite=Strict" }

    /// `Set-Cookie` for `value` (a session cookie).
    func setting(_ value: String) -> String { "\(name)=\(value); \(attributes)" }

    /// `Set-Cookie` that removes the cookie.
    var clearing: String { "\(name)=; Max-Age=0; \(attributes)" }

    /// The cookie's value in `request`, if present and well-formed (the first one, if repeated).
    func value(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingASCIISpaces.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2, String(parts[0]).isExactly(name) {
                    let value = String(parts[1])
                    return Self.isWellFormed(value, length: valueLength) ? value : nil
                }
            }
        }
        return nil
    }

    /// `length` base64url characters (43 by default: what ``Secrets/random256(prefix:)`` makes).
    static func isWellFormed(_ value: String, length: ClosedRange<Int> = 43...43) -> Bool {
        length.contains(value.utf8.count) && value.utf8.allSatisfy {
            (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F
        }
    }
}
