import Foundation
import Keybound

/// The attacker: holds one issuer's private signing key and makes tokens with it.
///
/// A ``Keybound/SigningKey`` refuses to sign for an issuer other than its own, but that binding
/// protects honest code only. Someone holding the key bytes relabels them for any issuer (here:
/// exports the private JWK and rewrites its `issuer` member). What stops the forgery has to be
/// the verifier.
struct DrillAttacker {
    let stolen: SigningKey
    /// The application id the forged tokens name.
    static let clientID = "attacker-app"

    /// A token with the shape of a Keybound access token (RFC 9068), for `issuer` and `tenantID`,
    /// signed with the stolen key.
    ///
    /// - Parameter subject: A user's subject for a delegated token (scope `Mail.Read`), or `nil` for
    ///   an application token (role `Mail.Read.All`).
    func forge(issuer: String, tenantID: String, subject: String?, clientID: String = DrillAttacker.clientID, now: Date) throws -> Forgery {
        var exported = stolen.exportPrivateJWK()
        exported["issuer"] = .string(issuer)
        let relabelled = try SigningKey(privateJWKObject: exported)
        let issued = now.timeIntervalSince1970.rounded(.down)
        let tokenID = UUID().uuidString.lowercased()
        var claims = JSONObject([
            "iss": .string(issuer), "sub": .string(subject ?? clientID), "aud": .string("api://mail"),
            "exp": .number(issued + 600), "nbf": .number(issued), "iat": .number(issued), "jti": .string(tokenID),
            "client_id": .string(clientID), "tid": .string(tenantID),
        ])
        if subject != nil {
            claims["idtyp"] = .string("user")
            claims["scope"] = .string("Mail.Read")
        } else {
            claims["idtyp"] = .string("app")
            claims["roles"] = .array([.string("Mail.Read.All")])
        }
        return Forgery(token: try TokenSigner(key: relabelled).sign(claims: claims), tokenID: tokenID)
    }

    struct Forgery {
        let token: String
        let tokenID: String
    }
}
