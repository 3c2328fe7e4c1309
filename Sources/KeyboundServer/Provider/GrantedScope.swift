import Foundation
import Keybound
import KeyboundStore

/// What a token grants: the resource it is for (its audience), delegated scopes on that resource,
/// application roles, and the OpenID Connect scopes. One resource per token.
struct GrantedScope: Sendable, Equatable {
    /// The resource audience (`api://mail`), if any.
    var resource: String?
    /// Delegated scopes on the resource, as requested (`api://mail/Mail.Read`).
    var resourceScopes: [String] = []
    /// OpenID Connect scopes (`openid`, `profile`, `email`, `offline_access`).
    var openIDScopes: [String] = []
    /// Application roles on the resource (`Mail.Read.All`).
    var roles: [String] = []

    static let openIDScopeNames: Set<String> = ["openid", "profile", "email", "offline_access"]

    /// The space-separated `scope` value: OpenID scopes, then resource scopes.
    var scopeString: String { (openIDScopes + resourceScopes).joined(separator: " ") }

    /// Delegated scopes without the resource prefix (`Mail.Read`), as the `scp`-style `scope` claim of
    /// an access token carries them.
    var shortResourceScopes: [String] {
        guard let resource else { return [] }
        return resourceScopes.compactMap { $0.droppingExactPrefix(resource + "/") }
    }

    var includesOpenID: Bool { openIDScopes.containsExactly("openid") }

    /// Whether `name` is an OpenID Connect scope, by exact bytes.
    static func isOpenIDScope(_ name: String) -> Bool { openIDScopeNames.containsExactly(name) }

    /// Resolves a user's request (authorization code flow): OpenID scopes plus delegated scopes of
    /// at most one registered resource. `resourceParameter` is RFC 8707's `resource`.
    static func delegated(scope: String?, resourceParameter: String?, resources: [ResourceRecord]) throws(OAuthError) -> GrantedScope {
        var granted = GrantedScope()
        if let resourceParameter {
            guard resources.contains(where: { $0.audience.isExactly(resourceParameter) }) else {
                throw OAuthError.invalidTarget("'\(resourceParameter)' is not a resource of this issuer")
            }
            granted.resource = resourceParameter
        }
        for item in Self.items(scope) {
            if isOpenIDScope(item) {
                if !granted.openIDScopes.containsExactly(item) { granted.openIDScopes.append(item) }
                continue
            }
            guard let (resource, name) = split(item, resources: resources), resource.scopes.containsExactly(name) else {
                throw OAuthError.invalidScope("unknown scope '\(item)'")
            }
            if let current = granted.resource, !current.isExactly(resource.audience) {
                throw OAuthError.invalidScope("a token is for one resource; '\(item)' is for another")
            }
            granted.resource = resource.audience
            if !granted.resourceScopes.containsExactly(item) { granted.resourceScopes.append(item) }
        }
        guard !granted.openIDScopes.isEmpty || !granted.resourceScopes.isEmpty else {
            throw OAuthError.invalidScope("ask for at least one scope (e.g. openid, or api://mail/Mail.Read)")
        }
        return granted
    }

    /// Resolves an application's request (client credentials): roles of one resource, named by
    /// `<resource>/.default`, by `<resource>/<role>` or by `resource`; only roles granted to the client.
    static func application(scope: String?, resourceParameter: String?, client: ClientRecord,
                            resources: [ResourceRecord]) throws(OAuthError) -> GrantedScope {
        var granted = GrantedScope()
        if let resourceParameter {
            guard resources.contains(where: { $0.audience.isExactly(resourceParameter) }) else {
                throw OAuthError.invalidTarget("'\(resourceParameter)' is not a resource of this issuer")
            }
            granted.resource = resourceParameter
        }
        var explicitRoles: [String] = []
        for item in Self.items(scope) {
            guard let (resource, name) = split(item, resources: resources) else {
                throw OAuthError.invalidScope("unknown scope '\(item)' (an application asks for <resource>/.default or a role)")
            }
            if let current = granted.resource, !current.isExactly(resource.audience) {
                throw OAuthError.invalidScope("a token is for one resource; '\(item)' is for another")
            }
            granted.resource = resource.audience
            if name.isExactly(".default") { continue }
            guard resource.roles.containsExactly(name) else { throw OAuthError.invalidScope("unknown role '\(item)'") }
            guard client.roles.containsExactly(item) else { throw OAuthError.invalidScope("the client has not been granted '\(item)'") }
            explicitRoles.append(name)
        }
        if granted.resource == nil {
            let audiences = Set(client.roles.compactMap { role in
                resources.first { role.hasExactPrefix($0.audience + "/") }.map { ExactString($0.audience) }
            })
            guard audiences.count == 1 else {
                throw OAuthError.invalidScope("name the resource: scope=<resource>/.default or resource=<resource>")
            }
            granted.resource = audiences.first?.value
        }
        let resource = granted.resource!
        granted.roles = explicitRoles.isEmpty
            ? client.roles.compactMap { $0.droppingExactPrefix(resource + "/") }
            : explicitRoles
        guard !granted.roles.isEmpty else {
            throw OAuthError.invalidScope("the client holds no role on '\(resource)'")
        }
        return granted
    }

    /// Narrows this grant to `scope` (a refresh request may ask for less, never more).
    func narrowed(to scope: String?) throws(OAuthError) -> GrantedScope {
        // Absent (or empty) means "the same as before" (RFC 6749 §6).
        guard let scope, !Self.items(scope).isEmpty else { return self }
        let asked = Self.items(scope)
        let held = openIDScopes + resourceScopes
        for item in asked where !held.containsExactly(item) {
            throw OAuthError.invalidScope("'\(item)' was not part of the original grant")
        }
        var narrowed = self
        narrowed.openIDScopes = openIDScopes.filter(asked.containsExactly)
        narrowed.resourceScopes = resourceScopes.filter(asked.containsExactly)
        if narrowed.resourceScopes.isEmpty { narrowed.resource = nil }
        return narrowed
    }

    /// Rebuilds a stored grant (refresh tokens keep `scope` and `resource`).
    static func stored(scope: String, resource: String?) -> GrantedScope {
        var granted = GrantedScope(resource: resource)
        for item in items(scope) {
            if isOpenIDScope(item) { granted.openIDScopes.append(item) } else { granted.resourceScopes.append(item) }
        }
        return granted
    }

    static func items(_ scope: String?) -> [String] {
        (scope ?? "").split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// `api://mail/Mail.Read` → (the `api://mail` resource, `Mail.Read`); the longest audience wins.
    private static func split(_ item: String, resources: [ResourceRecord]) -> (ResourceRecord, String)? {
        let matches = resources.filter { item.hasExactPrefix($0.audience + "/") && item.utf8.count > $0.audience.utf8.count + 1 }
        guard let resource = matches.max(by: { $0.audience.utf8.count < $1.audience.utf8.count }),
              let name = item.droppingExactPrefix(resource.audience + "/") else { return nil }
        return (resource, name)
    }
}
