import Foundation
import Keybound

/// How a validator authenticates to its provider's event streams as a server client (a
/// confidential client of that issuer listed in a resource's `server_clients`). The secret or key
/// never appears in a URL or a log line.
public enum StreamCredentials: Sendable {
    /// `client_secret_basic`: the client id and secret in an `Authorization: Basic` header (GET).
    case clientSecretBasic(clientID: String, secret: String)
    /// `private_key_jwt` (RFC 7523): a fresh assertion per connection, signed with `key` (whose
    /// `issuer` must be the client id), sent as a form body (POST). Its `aud` is the issuer URL.
    case privateKeyJWT(clientID: String, key: SigningKey)

    /// The client id.
    public var clientID: String {
        switch self {
        case .clientSecretBasic(let clientID, _), .privateKeyJWT(let clientID, _): clientID
        }
    }

    /// The headers and (for `private_key_jwt`) the form body of one connection to `issuer`'s stream.
    func authentication(issuer: String, now: Date = Date()) throws -> (headers: [String: String], body: [UInt8]?) {
        switch self {
        case .clientSecretBasic(let clientID, let secret):
            // RFC 6749 §2.3.1: both parts form-encoded before Base64.
            let pair = Self.formEncoded(clientID) + ":" + Self.formEncoded(secret)
            return (["Authorization": "Basic " + Data(pair.utf8).base64EncodedString()], nil)
        case .privateKeyJWT(let clientID, let key):
            let at = now.timeIntervalSince1970.rounded(.down)
            let assertion = try TokenSigner(key: key).sign(claims: JSONObject([
                "iss": .string(clientID), "sub": .string(clientID), "aud": .string(issuer), "jti": .string(UUID().uuidString),
                "iat": .number(at), "exp": .number(at + 60),
            ]), type: ExpectedTokenType.jwt.rawValue)
            let form = "client_assertion_type=" + Self.formEncoded("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                + "&client_assertion=" + Self.formEncoded(assertion)
            return (["Content-Type": "application/x-www-form-urlencoded"], Array(form.utf8))
        }
    }

    /// `application/x-www-form-urlencoded` encoding of one value.
    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.unicodeScalars.map { scalar in
            scalar.isASCII && allowed.contains(scalar) ? String(scalar)
                : String(scalar).utf8.map { String(format: "%%%02X", $0) }.joined()
        }.joined()
    }
}
