import Crypto
import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation

/// The token fields an audit record keeps: read from a verified identity, or — for a refused
/// token — decoded without trust, so a forged or cross-issuer token is still described (its `iss`,
/// `kid`, `jti` and claims digest are exactly what a hunt looks for).
struct AuditedTokenFields {
    var issuer: String?
    var keyID: String?
    var tokenID: String?
    var subject: String?
    var audience: [String]?
    var scope: String?
    var roles: [String]?
    var issuedAt: Date?
    var expiresAt: Date?
    var claimsDigest: String?
    var clientID: String?
    var sessionID: String?
    var tenantID: String?

    /// The fields of a verified token.
    init(_ identity: KeyboundIdentity) {
        self.init(claims: identity.token.claims)
        keyID = identity.keyID
        claimsDigest = identity.claimsDigest
    }

    /// The fields of an unverified token, as far as it decodes; all `nil` for garbage.
    init(unverified token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])),
              let claims = try? StrictJSONParser.parseObject(payload) else {
            self.init(claims: JSONObject())
            return
        }
        self.init(claims: claims)
        if let headerBytes = Base64URL.decode(String(parts[0])), let header = try? StrictJSONParser.parseObject(headerBytes) {
            keyID = header["kid"]?.stringValue
        }
        claimsDigest = SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()
    }

    private init(claims: JSONObject) {
        issuer = claims["iss"]?.stringValue
        tokenID = claims["jti"]?.stringValue
        subject = claims["sub"]?.stringValue
        switch claims["aud"] {
        case .string(let single)?: audience = [single]
        case .array(let values)?: audience = values.compactMap(\.stringValue)
        default: audience = nil
        }
        scope = claims["scope"]?.stringValue ?? claims["scp"]?.stringValue
        roles = claims["roles"]?.arrayValue?.compactMap(\.stringValue)
        issuedAt = claims["iat"]?.numberValue.map(Date.init(timeIntervalSince1970:))
        expiresAt = claims["exp"]?.numberValue.map(Date.init(timeIntervalSince1970:))
        clientID = claims["client_id"]?.stringValue ?? claims["azp"]?.stringValue ?? claims["appid"]?.stringValue
        sessionID = claims["sid"]?.stringValue
        tenantID = claims["tid"]?.stringValue
    }
}
