import Keybound

/// The rule for granting application roles to a client, shared by the admin API and the CLI.
///
/// A role is an application permission over a whole tenant (`api://mail/Mail.Read.All` reads every
/// mailbox of the tenant). A consumer realm has no tenant, only separate people, so its clients
/// hold no roles at all. Elsewhere each role must be `<audience>/<role>` of a resource registered
/// with the same issuer, compared byte for byte.
public enum ClientRoles {
    /// Checks `roles` for a client of `issuer`, whose resources are `resources`.
    public static func check(_ roles: [String], issuer: IssuerRecord, resources: [ResourceRecord]) throws(StoreError) {
        guard !roles.isEmpty else { return }
        guard issuer.kind == .tenant else {
            throw StoreError(.invalidClient, "issuer '\(issuer.id)' is \(issuer.kind == .consumer ? "a consumer realm" : "the operator issuer"), which has no tenant-wide roles; a client of it holds none")
        }
        let available = resources.filter { $0.issuerID.isExactly(issuer.id) }.flatMap { resource in
            resource.roles.map { "\(resource.audience)/\($0)" }
        }
        for role in roles where !available.contains(where: { $0.isExactly(role) }) {
            throw StoreError(.invalidClient, "'\(role.prefix(200))' is not a role of any resource of issuer '\(issuer.id)'"
                + (available.isEmpty ? "" : "; known roles: \(available.joined(separator: ", "))"))
        }
    }
}
