import Foundation
import JWTKit

/// The jwt-kit payload equivalent to Keybound's access-token policy: after jwt-kit checks the
/// signature, it checks `exp`, `nbf`, the audience, that the issuer is one of the trusted ones and
/// that the tenant id is that issuer's.
struct AccessTokenPayload: JWTPayload, Equatable {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var nbf: NotBeforeClaim
    var jti: IDClaim
    var tid: TenantIDClaim
    var clientID: String
    var scope: String

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nbf, jti, tid, scope
        case clientID = "client_id"
    }

    /// Why jwt-kit's payload check refused a token.
    struct PolicyFailure: Error { let reason: String }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf.verifyNotBefore()
        try aud.verifyIntendedAudience(includes: TokenClaims.audience)
        guard let tenantID = BenchmarkIssuer.tenantIDs[iss.value] else { throw PolicyFailure(reason: "untrusted issuer") }
        guard tid.value == tenantID else { throw PolicyFailure(reason: "wrong tenant") }
    }
}
