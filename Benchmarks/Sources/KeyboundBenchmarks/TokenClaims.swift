import Foundation
import JWTKit
import Keybound

/// The claims of one benchmark access token: a typical RFC 9068 access token of about
/// 450 signed bytes, with its own `jti` so that every token in a loop is distinct, issued by one
/// of the ``BenchmarkIssuer``s (its `iss` and `tid`).
struct TokenClaims: Sendable {
    static let audience = "api://mail"
    static let clientID = "mail-app"
    static let scope = "Mail.Read Mail.Send"
    static let subject = "user-0123456789"
    /// The token lifetime (`exp` − `iat`), in seconds.
    static let lifetime = 3_600

    /// The issuer (`iss`, and its tenant id as `tid`).
    let issuer: BenchmarkIssuer
    /// The unique token id.
    let tokenID: String
    /// `iat` and `nbf`, in seconds since 1970.
    let issuedAt: Int

    var expiresAt: Int { issuedAt + Self.lifetime }

    /// The claims as a Keybound JSON object, in the usual member order.
    var keyboundObject: JSONObject {
        JSONObject([
            "iss": .string(issuer.identifier),
            "sub": .string(Self.subject),
            "aud": .string(Self.audience),
            "exp": .number(Double(expiresAt)),
            "iat": .number(Double(issuedAt)),
            "nbf": .number(Double(issuedAt)),
            "jti": .string(tokenID),
            "tid": .string(issuer.tenantID),
            "client_id": .string(Self.clientID),
            "scope": .string(Self.scope),
        ])
    }

    /// The same claims as a jwt-kit payload.
    var jwtkitPayload: AccessTokenPayload {
        AccessTokenPayload(
            iss: IssuerClaim(value: issuer.identifier),
            sub: SubjectClaim(value: Self.subject),
            aud: AudienceClaim(value: [Self.audience]),
            exp: ExpirationClaim(value: Date(timeIntervalSince1970: Double(expiresAt))),
            iat: IssuedAtClaim(value: Date(timeIntervalSince1970: Double(issuedAt))),
            nbf: NotBeforeClaim(value: Date(timeIntervalSince1970: Double(issuedAt))),
            jti: IDClaim(value: tokenID),
            tid: TenantIDClaim(value: issuer.tenantID),
            clientID: Self.clientID,
            scope: Self.scope)
    }

    /// `count` tokens issued at `issuedAt`, each with a fresh UUID `jti`; token `index` is issued by
    /// the issuer of ``BenchmarkIssuer/keyIndex(ofToken:)``.
    static func batch(count: Int, issuedAt: Int) -> [TokenClaims] {
        (0..<count).map { index in
            TokenClaims(issuer: BenchmarkIssuer.issuer(ofKey: BenchmarkIssuer.keyIndex(ofToken: index)),
                        tokenID: UUID().uuidString.lowercased(), issuedAt: issuedAt)
        }
    }
}
