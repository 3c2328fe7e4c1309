/// Which kind of principal a resource accepts.
public enum PrincipalRequirement: Sendable, Equatable {
    /// Applications and users alike.
    case any
    /// Only tokens of an application acting as itself (``KeyboundIdentity/isApplication``).
    case application
    /// Only tokens of a user acting through a client (``KeyboundIdentity/isDelegated``).
    case delegated
}

/// A requirement that cannot be built: a programming error, reported when the app starts.
public struct IdentityRequirementError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with it.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What an identity must show to reach a resource: an allowed issuer, and optionally one of some
/// scopes or roles and a kind of principal.
///
/// Issuers, scopes and roles are compared by their exact UTF-8 bytes (no case folding, no Unicode
/// normalization, no trailing-slash matching). There is no "any issuer": the set must name at
/// least one.
public struct IdentityRequirement: Sendable {
    /// The issuers accepted, sorted.
    public let allowedIssuers: [String]
    /// Scopes any one of which suffices, sorted; empty means no scope is demanded.
    public let anyOfScopes: [String]
    /// Roles any one of which suffices, sorted; empty means no role is demanded.
    public let anyOfRoles: [String]
    /// The kind of principal accepted.
    public let principal: PrincipalRequirement

    private let issuerSet: Set<ExactBytes>
    private let scopeSet: Set<ExactBytes>
    private let roleSet: Set<ExactBytes>

    /// A requirement.
    ///
    /// When both `anyOfScopes` and `anyOfRoles` are given, one match in either suffices (a
    /// delegated token shows a scope, an application token a role); to demand both, chain two
    /// requirements.
    ///
    /// Throws for an empty or blank issuer set, or a scope or role that is empty or holds a space
    /// (it could never match).
    public init(
        allowedIssuers: Set<String>, anyOfScopes: Set<String> = [], anyOfRoles: Set<String> = [],
        principal: PrincipalRequirement = .any
    ) throws(IdentityRequirementError) {
        guard !allowedIssuers.isEmpty else {
            throw IdentityRequirementError("allowedIssuers is empty; name every issuer this resource accepts (there is no 'any issuer')")
        }
        guard !allowedIssuers.contains("") else { throw IdentityRequirementError("allowedIssuers contains an empty issuer") }
        for name in anyOfScopes.union(anyOfRoles) where name.isEmpty || name.contains(" ") {
            throw IdentityRequirementError("scope or role '\(name)' is empty or contains a space, so it could never match")
        }
        self.allowedIssuers = allowedIssuers.sorted()
        self.anyOfScopes = anyOfScopes.sorted()
        self.anyOfRoles = anyOfRoles.sorted()
        self.principal = principal
        self.issuerSet = Set(allowedIssuers.map(ExactBytes.init))
        self.scopeSet = Set(anyOfScopes.map(ExactBytes.init))
        self.roleSet = Set(anyOfRoles.map(ExactBytes.init))
    }

    /// Why `identity` may not pass, or `nil` if it may. Checks run in this order: authenticated,
    /// issuer, no roles from a consumer realm, kind of principal, scopes and roles.
    ///
    /// Roles are application permissions over a whole tenant (`Mail.Read.All`). A consumer realm
    /// has no tenant-wide roles, so a consumer-realm token carrying any is refused
    /// (``AccessDenial/Code/consumerRealmRole``) whatever this requirement asks for.
    public func evaluate(_ identity: KeyboundIdentity?) -> AccessDenial? {
        guard let identity else {
            return AccessDenial(.unauthenticated, "this resource requires a bearer token", identity: nil)
        }
        guard issuerSet.contains(ExactBytes(identity.issuer)) else {
            return AccessDenial(.issuerNotAllowed, "tokens of issuer '\(identity.issuer)' are not accepted here", identity: identity)
        }
        if identity.isConsumerRealm, !identity.roles.isEmpty {
            return AccessDenial(.consumerRealmRole, "a consumer realm has no tenant-wide roles, but this token carries \(identity.roles.count)",
                                identity: identity)
        }
        switch principal {
        case .any: break
        case .application where !identity.isApplication:
            return AccessDenial(.wrongPrincipal, "this resource accepts only application tokens", identity: identity)
        case .delegated where !identity.isDelegated:
            return AccessDenial(.wrongPrincipal, "this resource accepts only delegated (user) tokens", identity: identity)
        case .application, .delegated: break
        }
        guard !scopeSet.isEmpty || !roleSet.isEmpty else { return nil }
        if identity.scopes.contains(where: { scopeSet.contains(ExactBytes($0)) }) { return nil }
        if identity.roles.contains(where: { roleSet.contains(ExactBytes($0)) }) { return nil }
        var wanted: [String] = []
        if !anyOfScopes.isEmpty { wanted.append("one of the scopes [\(anyOfScopes.joined(separator: " "))]") }
        if !anyOfRoles.isEmpty { wanted.append("one of the roles [\(anyOfRoles.joined(separator: " "))]") }
        return AccessDenial(.insufficientScope, "this resource requires \(wanted.joined(separator: " or "))", identity: identity)
    }
}
