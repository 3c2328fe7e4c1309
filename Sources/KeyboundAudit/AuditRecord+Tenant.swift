import Keybound

extension AuditRecord {
    /// The tenant (issuer, tid) the record belongs to as a fact: that of a verified token, or of a
    /// format 1 record that was allowed (only verified tokens were ever served). `nil` for a record
    /// of a refused or missing token, whose `tenant` is only what the token claimed: such a record
    /// is evidence for a hunt, never a tenant's feed or a notice. The kind is not recorded and
    /// reads as `.tenant`; a `Tenant` compares by (issuer, tid) only.
    public var verifiedTenant: Tenant? {
        guard let tenant else { return nil }
        switch attribution {
        case .verified?:
            return tenantIssuer.map { Tenant(issuer: $0, tenantID: tenant, kind: .tenant) }
        case .unverified?:
            return nil
        case nil:
            guard verdict == .allowed, let tokenIssuer else { return nil }
            return Tenant(issuer: tokenIssuer, tenantID: tenant, kind: .tenant)
        }
    }
}
