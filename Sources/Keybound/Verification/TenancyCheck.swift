/// The tenant check: a token's `tid` must be its own issuer's tenant id.
///
/// A tenant is (issuer, tid). An issuer with a fixed tenant id (an enterprise tenant or a consumer
/// realm) accepts only tokens carrying exactly that `tid`; an issuer with no tenant refuses a token
/// that names one. So no key of one issuer can make a token that counts in another issuer's tenant.
enum TenancyCheck {
    static func evaluate(_ issuer: TrustStore.IssuerContext, tokenTenantID: String?) -> Result<Tenant?, TokenRejection> {
        // The reason's text is built only for a rejection: an accepted token pays for none of it.
        var shown: String { tokenTenantID.map { "'\($0.prefix(64))'" } ?? "absent" }
        func fixed(_ expected: String, _ kind: Tenant.Kind) -> Result<Tenant?, TokenRejection> {
            guard let tokenTenantID, tokenTenantID.isExactly(expected) else {
                return .failure(TokenRejection(.tenantMismatch, "tid is \(shown); issuer '\(issuer.identifier)' is tenant '\(expected)'"))
            }
            return .success(Tenant(issuer: issuer.identifier, tenantID: expected, kind: kind))
        }
        switch issuer.tenancy {
        case .tenant(let expected): return fixed(expected, .tenant)
        case .consumer(let expected): return fixed(expected, .consumer)
        case .templated:
            // The template with this tid substituted equals the token's iss: resolution checked it.
            guard let tenantID = issuer.templatedTenantID else {
                return .failure(TokenRejection(.missingClaim, "issuer '\(issuer.identifier)' is templated, which needs the token's tid"))
            }
            return .success(Tenant(issuer: issuer.identifier, tenantID: tenantID, kind: .templated))
        case .noTenant:
            guard tokenTenantID == nil else {
                return .failure(TokenRejection(.tenantMismatch, "tid is \(shown), but issuer '\(issuer.identifier)' has no tenant"))
            }
            return .success(nil)
        }
    }
}
