import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// `POST /<issuer>/token-status`: whether the issuer issued one access token, for a validator
/// whose issuance feed does not (yet) hold it. Advertised in discovery as `issuance_status_endpoint`.
///
/// Authenticated as on the token-event stream: a server client of the issuer, with
/// `client_secret_basic`, `client_secret_post` or `private_key_jwt`. The form names the token's
/// `jti`. The answer is JSON, `Cache-Control: no-store`:
///
/// - `{"status": "issued", "jti", "exp", "claims_digest"}`: an access token of this issuer's
///   ledger whose `aud` contains an audience the caller serves;
/// - `{"status": "revoked", "jti", "exp"}`: such a token, since revoked (the operator's reason is
///   never published);
/// - `{"status": "not_issued", "jti"}`: anything else. A token for another audience, an ID or
///   refresh token, and another issuer's `jti` all read as never issued, so a caller learns only
///   about the tokens it may accept.
struct TokenStatusEndpoint: Sendable {
    let context: ProviderContext

    /// `token-status` on the issuer's route group.
    func register(on issuerRoutes: RouterGroup<ProviderRequestContext>) {
        issuerRoutes.post("token-status") { request, routeContext in try await status(request, issuer: try routeContext.issuer()) }
    }

    func status(_ request: Request, issuer: IssuerRecord) async throws -> Response {
        let form = try await FormBody.read(request)
        let caller = try await StreamAuthentication(context: context).serverClient(request, form: form, issuer: issuer)
        let tokenID = try form.require("jti")
        var members = JSONObject()
        members["status"] = .string("not_issued")
        members["jti"] = .string(tokenID)
        if let found = try await context.store.issuanceStatus(issuerID: issuer.id, tokenID: tokenID),
           found.record.kind == .access, caller.serves(any: found.record.audience) {
            members["exp"] = .number(found.record.expiresAt.timeIntervalSince1970.rounded(.down))
            if found.revocationReason != nil {
                members["status"] = .string("revoked")
            } else {
                members["status"] = .string("issued")
                members["claims_digest"] = .string(found.record.claimsDigest)
            }
        }
        return JSONResponse.make(members, headers: [.cacheControl: "no-store"])
    }
}
