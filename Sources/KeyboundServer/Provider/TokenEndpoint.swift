import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// `POST /<issuer>/token`: `client_credentials`, `authorization_code` with PKCE (S256 only) and
/// `refresh_token` with rotation and reuse detection (``GrantType``; one file per grant). Every
/// token is in the issuance ledger before the response is written.
struct TokenEndpoint: Sendable {
    let context: ProviderContext
    var minter: TokenMinter { TokenMinter(context: context) }

    /// On a store shared by nodes, a `client_credentials` request with a client secret reads the
    /// client and resources from a copy of the issuer's directory (no database read), and its
    /// ledger commit checks that the directory has not changed since. If it has, nothing was handed
    /// out, and the request runs again on fresh reads; so does a request the copy refuses (the
    /// copy may predate a new secret, client or role). The other grants read fresh: their codes
    /// and refresh tokens are spent before the commit, so they could not run again.
    func handle(_ request: Request, issuer: IssuerRecord) async throws -> Response {
        do {
            let form = try await FormBody.read(request)
            let grantType = try form.require("grant_type")
            if grantType.isExactly(GrantType.clientCredentials.rawValue), context.store.isSharedByNodes,
               ClientAuthenticator.presentsSecret(request, form: form) {
                do {
                    return try await respond(request, form: form, grantType: grantType, issuer: issuer,
                                             copies: DirectoryCopies(issuerID: issuer.id))
                } catch let error as StoreError where error.code == .directoryChanged {
                    context.directory.invalidate(issuerID: issuer.id)
                } catch is OAuthError {
                    // Refused by the copy: the fresh reads below decide.
                }
            }
            return try await respond(request, form: form, grantType: grantType, issuer: issuer, copies: nil)
        } catch let error as OAuthError {
            ProviderMetrics.tokenRequestFailed(issuer: issuer.id, error: error.error)
            throw error
        }
    }

    private func respond(_ request: Request, form: FormBody, grantType: String, issuer: IssuerRecord,
                         copies: DirectoryCopies?) async throws -> Response {
        let client = try await ClientAuthenticator(context: context, copies: copies)
            .authenticate(request, form: form, issuer: issuer, allowPublic: true)
        guard let grant = GrantType(exactly: grantType) else {
            throw OAuthError(status: .badRequest, error: "unsupported_grant_type", description: "grant type '\(grantType)' is not supported")
        }
        guard client.grantTypes.containsExactly(grant.rawValue) else {
            throw OAuthError.unauthorizedClient("client '\(client.clientID)' may not use the \(grant.rawValue) grant")
        }
        // Exhaustive: a new grant type does not compile until it has its handler.
        switch grant {
        case .clientCredentials: return try await clientCredentials(form, issuer: issuer, client: client, copies: copies)
        case .authorizationCode: return try await authorizationCode(form, issuer: issuer, client: client)
        case .refreshToken: return try await refresh(form, issuer: issuer, client: client)
        }
    }
}

