import KeyboundAudit

extension AuditRecord {
    /// The record's tenant for a report: `<tid> of <issuer>` when verified, and marked as only
    /// claimed when the token was refused (a tenant is (issuer, tid); a refused token's is a claim).
    var huntTenantText: String? {
        guard let tenant else { return nil }
        if let verified = verifiedTenant { return "\(verified.tenantID) of \(verified.issuer)" }
        return "\(tenant) of \(tenantIssuer ?? tokenIssuer ?? "no iss") (claimed)"
    }
}
