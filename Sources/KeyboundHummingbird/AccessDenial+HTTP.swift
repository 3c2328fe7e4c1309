import Hummingbird
import KeyboundValidation

// How the framework-free denials of KeyboundValidation are answered over HTTP.

extension AccessDenial {
    /// The refusal to answer: 401 without error for `unauthenticated`, 401 `invalid_token` for
    /// `issuer_not_allowed`, 403 `insufficient_scope` (with the required scopes in `scope`) otherwise;
    /// the body's `keybound_code` is the denial's code.
    public func error(requirement: IdentityRequirement, realm: String = Bearer.defaultRealm) -> BearerError {
        switch code {
        case .unauthenticated:
            return .missingToken(realm: realm)
        case .issuerNotAllowed:
            return BearerError(status: .unauthorized, error: "invalid_token", description: reason, keyboundCode: code.rawValue, realm: realm)
        default:
            let scope = requirement.anyOfScopes.isEmpty ? nil : requirement.anyOfScopes.joined(separator: " ")
            return BearerError(status: .forbidden, error: "insufficient_scope", description: reason, keyboundCode: code.rawValue,
                               scope: scope, realm: realm)
        }
    }
}

extension IdentityRequirement {
    /// The context's identity if it meets the requirement; otherwise throws the refusal to answer
    /// (401 or 403, see ``AccessDenial/error(requirement:realm:)``). For use inside a route.
    public func enforce(on context: some KeyboundAuthenticatedContext, realm: String = Bearer.defaultRealm) throws(BearerError) -> KeyboundIdentity {
        if let denial = evaluate(context.identity) { throw denial.error(requirement: self, realm: realm) }
        return context.identity!
    }
}
