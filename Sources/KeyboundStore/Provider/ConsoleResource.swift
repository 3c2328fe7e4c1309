import Keybound

/// The console's built-in resource, `keybound://console`, which every operator and tenant issuer
/// has without registering it (a consumer realm has none: it has no one to administer it).
///
/// The console signs in as its own client of each issuer, ``clientID`` (registered like any client,
/// and the only client the resource is offered to), and asks for its one delegated scope,
/// `keybound://console/Console.Access`; the access token it gets has the audience ``audience`` and,
/// in `roles`, what the user holds on it. The roles are checked as (issuer, role):
///
/// | Role | Exists in | Grants |
/// |---|---|---|
/// | `Console.Operator` | the operator issuer only | everything |
/// | `Console.TenantAdmin` | each tenant issuer | its own issuer only (docs/console.md) |
public enum ConsoleResource {
    /// The audience of console tokens.
    public static let audience = "keybound://console"
    /// The delegated scope the console asks for.
    public static let accessScope = "Console.Access"
    /// The console's client id at each issuer: no other client may ask for the console's resource,
    /// and the admin API accepts console tokens issued to this client only.
    public static let clientID = "keybound-console"
    /// The role of the people who operate this Keybound, in the operator issuer.
    public static let operatorRole = "Console.Operator"
    /// The role of a tenant's own administrators, in that tenant's issuer.
    public static let tenantAdminRole = "Console.TenantAdmin"

    /// The one role `issuer` can grant on the console, or `nil` for a consumer realm.
    public static func role(of issuer: IssuerRecord) -> String? {
        switch issuer.kind {
        case .operator: operatorRole
        case .tenant: tenantAdminRole
        case .consumer: nil
        }
    }

    /// The resource as `issuer` has it, or `nil` for a consumer realm.
    public static func record(for issuer: IssuerRecord) -> ResourceRecord? {
        role(of: issuer).map { ResourceRecord(issuerID: issuer.id, audience: audience, scopes: [accessScope], roles: [$0]) }
    }

    /// The resources `clientID` may ask for at `issuer`: `resources`, with the console's own added
    /// when the client is the console (``clientID``, exact bytes).
    public static func adding(to resources: [ResourceRecord], issuer: IssuerRecord, clientID: String) -> [ResourceRecord] {
        guard clientID.isExactly(Self.clientID) else { return resources }
        return resources + (record(for: issuer).map { [$0] } ?? [])
    }
}

/// The rule for granting roles to a user, shared by the admin API and the CLI.
///
/// A user's role is `<audience>/<role>` of a resource of the same issuer, compared by exact
/// bytes: a registered resource's application role (only in a tenant, as for clients,
/// ``ClientRoles``), or the console's role of that issuer (``ConsoleResource``). So
/// `Console.Operator` can be held only in the operator issuer, and `Console.TenantAdmin` only in
/// a tenant issuer; a consumer realm's users hold no roles at all.
public enum UserRoles {
    /// Checks `roles` for a user of `issuer`, whose registered resources are `resources`.
    public static func check(_ roles: [String], issuer: IssuerRecord, resources: [ResourceRecord]) throws(StoreError) {
        guard !roles.isEmpty else { return }
        guard issuer.kind != .consumer else {
            throw StoreError(.invalidUser, "issuer '\(issuer.id)' is a consumer realm; its users hold no roles")
        }
        let own = issuer.kind == .tenant
            ? resources.filter { $0.issuerID.isExactly(issuer.id) && !$0.audience.isExactly(ConsoleResource.audience) } : []
        let available = (own + (ConsoleResource.record(for: issuer).map { [$0] } ?? [])).flatMap { resource in
            resource.roles.map { "\(resource.audience)/\($0)" }
        }
        var seen = Set<ExactString>()
        for role in roles {
            guard available.contains(where: { $0.isExactly(role) }) else {
                throw StoreError(.invalidUser, "'\(role.prefix(200))' is not a role of issuer '\(issuer.id)'; its roles: \(available.joined(separator: ", "))")
            }
            guard seen.insert(ExactString(role)).inserted else { throw StoreError(.invalidUser, "the role '\(role.prefix(200))' is named twice") }
        }
    }
}
