import Foundation
import Keybound

/// The attacker: can sign with one issuer's key, and makes tokens with it.
///
/// A ``Keybound/SigningKey`` refuses to sign for an issuer other than its own, but that binding
/// protects honest code only. Someone holding the key bytes relabels them for any issuer (here:
/// exports the private JWK and rewrites its `issuer` member). Someone in control of a provider
/// whose key is in a PKCS#11 token cannot copy it, but can have the token sign any bytes while
/// the control lasts. What stops the forgery has to be the verifier.
struct DrillAttacker {
    /// How the attacker signs.
    enum Means {
        /// A copy of the private key (software custody).
        case copiedKey(SigningKey)
        /// Use of the token that holds the key, through a provider the attacker controls (PKCS#11 custody).
        case tokenAccess(TokenSigner)
    }

    let means: Means
    /// The application id the forged tokens name.
    static let clientID = "attacker-app"

    /// What a forged token grants: a user's delegated scope, or an application's roles.
    enum Grant {
        /// A token in the name of the user `subject` (`idtyp` user), with `scope`.
        case delegated(subject: String, scope: String)
        /// An application token (`idtyp` app, `sub` the client id), with `roles`.
        case application(roles: [String])

        /// Whether this is an application token.
        var isApplication: Bool { if case .application = self { true } else { false } }

        /// A user's token reading their own mail (`Mail.Read`).
        static func user(_ subject: String) -> Grant { .delegated(subject: subject, scope: "Mail.Read") }
        /// An application reading every mailbox of its tenant (`Mail.Read.All`).
        static let readAllMail = Grant.application(roles: ["Mail.Read.All"])
        /// An application reading its tenant's audit feed (`AuditLog.Read.All`).
        static let readAuditLog = Grant.application(roles: ["AuditLog.Read.All"])
    }

    /// A token with the shape of a Keybound access token (RFC 9068) that claims to come from
    /// `issuer`, signed with the stolen key.
    ///
    /// - Parameters:
    ///   - issuer: The organisation whose `iss` the token carries.
    ///   - tenantID: The `tid` it carries; by default the issuer's own. Another organisation's
    ///     names a tenant of another issuer (the tenant-crossing forgery).
    ///   - grant: The scope or roles it grants.
    ///   - clientID: The application it names.
    func forge(issuer: DrillTenant, tenantID: String? = nil, grant: Grant, clientID: String = DrillAttacker.clientID,
               now: Date) async throws -> Forgery {
        let issued = now.timeIntervalSince1970.rounded(.down)
        let tokenID = UUID().uuidString.lowercased()
        var claims = JSONObject([
            "iss": .string(issuer.url), "aud": .string("api://mail"),
            "exp": .number(issued + 600), "nbf": .number(issued), "iat": .number(issued), "jti": .string(tokenID),
            "client_id": .string(clientID), "tid": .string(tenantID ?? issuer.tenantID),
        ])
        switch grant {
        case .delegated(let subject, let scope):
            claims["sub"] = .string(subject)
            claims["idtyp"] = .string("user")
            claims["scope"] = .string(scope)
        case .application(let roles):
            claims["sub"] = .string(clientID)
            claims["idtyp"] = .string("app")
            claims["roles"] = .array(roles.map(JSONValue.string))
        }
        switch means {
        case .copiedKey(let stolen):
            var exported = stolen.exportPrivateJWK()
            exported["issuer"] = .string(issuer.url)
            let relabelled = try SigningKey(privateJWKObject: exported)
            return Forgery(token: try TokenSigner(key: relabelled).sign(claims: claims), tokenID: tokenID)
        case .tokenAccess(let signer):
            let header = JSONObject(["alg": .string(signer.key.algorithm.rawValue), "kid": .string(signer.key.keyID),
                                     "typ": .string(ExpectedTokenType.accessToken.rawValue)])
            return Forgery(token: try await signer.signedByCustodian(header: header, payload: JSONWriter().bytes(.object(claims))), tokenID: tokenID)
        }
    }

    struct Forgery {
        let token: String
        let tokenID: String
    }
}
