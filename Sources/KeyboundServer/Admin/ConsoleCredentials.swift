import Keybound
import KeyboundStore

/// A console user's access token, presented to the admin API.
///
/// The token names its issuer; that issuer must be one of this store's, found by its URL's exact
/// bytes, and the token must be one it issued (``IssuedTokenCheck``): signed by one of *that*
/// issuer's own keys (another issuer's key, however valid, is not in its trust), with the audience
/// `keybound://console`, in its issuance ledger with the same claims, unexpired and not revoked;
/// issued to the console's own client (``ConsoleResource/clientID``), still enabled, for the scope
/// `Console.Access`. Then the user it names must exist in that issuer, be enabled, and hold that
/// issuer's console role now (``ConsoleResource``): `Console.Operator` in the operator issuer,
/// `Console.TenantAdmin` in a tenant. A role taken away, a user or the console client disabled,
/// ends the user's admin access at once.
struct ConsoleCredentials: Sendable {
    let context: ProviderContext

    /// Whether `token` has a compact JWS's three segments (otherwise it is a wrong admin token).
    static func looksLikeJWT(_ token: String) -> Bool {
        token.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
    }

    /// The caller `token` stands for, or 401 `invalid_token` / 403 `insufficient_scope` with the reason.
    func caller(_ token: String) async throws -> AdminCaller {
        let now = context.now()
        guard case .string(let claimedIssuer)? = TokenInspection(token: token, now: now, tokenType: .accessToken).claims?["iss"],
              let issuer = try await context.manager.issuers().first(where: { $0.url.isExactly(claimedIssuer) }) else {
            throw OAuthError.bearer(.unauthorized, "invalid_token", "the token is neither the admin token nor a token of an issuer of this store")
        }
        let check = try await IssuedTokenCheck(context: context)
            .check(token, issuer: issuer, audience: ConsoleResource.audience, tokenType: .accessToken)
        guard case .active(let verified, let record) = check else {
            if case .inactive(let why) = check {
                throw OAuthError.bearer(.unauthorized, "invalid_token", "not a console token of issuer '\(issuer.id)': \(why)")
            }
            throw OAuthError.bearer(.unauthorized, "invalid_token", "not a console token")
        }
        guard verified.claims["idtyp"] == .string("user") else {
            throw OAuthError.bearer(.forbidden, "insufficient_scope", "the console is for people: an application's token has no console role")
        }
        guard record.clientID.isExactly(ConsoleResource.clientID) else {
            throw OAuthError.bearer(.unauthorized, "invalid_token", "the token was issued to client '\(record.clientID)', not to the console ('\(ConsoleResource.clientID)')")
        }
        guard let client = try await context.store.client(issuerID: issuer.id, clientID: record.clientID), !client.isDisabled else {
            throw OAuthError.bearer(.unauthorized, "invalid_token", "the console client of issuer '\(issuer.id)' is disabled or gone")
        }
        guard case .string(let scope)? = verified.claims["scope"],
              scope.split(separator: " ").contains(where: { String($0).isExactly(ConsoleResource.accessScope) }) else {
            throw OAuthError.bearer(.forbidden, "insufficient_scope", "the token was not granted '\(ConsoleResource.audience)/\(ConsoleResource.accessScope)'")
        }
        guard let user = try await context.store.user(issuerID: issuer.id, subject: record.subject), !user.isDisabled else {
            throw OAuthError.bearer(.unauthorized, "invalid_token", "the token's user is no longer active at issuer '\(issuer.id)'")
        }
        guard let role = ConsoleResource.role(of: issuer), user.roleNames(on: ConsoleResource.audience).containsExactly(role) else {
            throw OAuthError.bearer(.forbidden, "insufficient_scope", "the user holds no console role of issuer '\(issuer.id)'")
        }
        let consoleUser = AdminCaller.ConsoleUser(issuerID: issuer.id, issuerURL: issuer.url, subject: user.subject)
        return issuer.kind == .operator ? .consoleOperator(consoleUser) : .tenantAdmin(consoleUser)
    }
}
