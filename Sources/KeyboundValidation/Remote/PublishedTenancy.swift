import Foundation
import Keybound

/// What an issuer's discovery document says of its tenancy: `tenant_id`, `tenant_kind`
/// (`tenant` or `consumer`) and `max_token_lifetime` (seconds).
///
/// A remote validator binds each issuer to exactly this tenant, so a key of one issuer can never
/// name another's `tid`. A document without them, or one that disagrees with the tenant id the
/// operator pinned (`--trust URL#tid`), is refused: the issuer's keys are not loaded.
struct PublishedTenancy: Sendable {
    let tenancy: Tenancy
    let maximumTokenLifetime: TimeInterval

    /// The longest `max_token_lifetime` accepted: one day, as the provider allows.
    static let lifetimeLimit: TimeInterval = 86_400

    init(discovery: JSONObject, issuer: RemoteTrustStore.Issuer) throws(RemoteTrustError) {
        guard case .string(let tenantID)? = discovery["tenant_id"], !tenantID.isEmpty else {
            throw RemoteTrustError("the discovery document of '\(issuer.url)' publishes no tenant_id, so its tenant cannot be bound")
        }
        switch discovery["tenant_kind"] {
        case .string(let kind)? where kind.isExactly("tenant"): tenancy = .tenant(tenantID)
        case .string(let kind)? where kind.isExactly("consumer"): tenancy = .consumer(tenantID)
        default:
            throw RemoteTrustError("the discovery document of '\(issuer.url)' publishes no tenant_kind of 'tenant' or 'consumer'")
        }
        guard case .number(let lifetime)? = discovery["max_token_lifetime"], lifetime.isFinite, lifetime >= 1,
              lifetime <= Self.lifetimeLimit else {
            throw RemoteTrustError("the discovery document of '\(issuer.url)' publishes no max_token_lifetime between 1 and \(Int(Self.lifetimeLimit)) seconds")
        }
        maximumTokenLifetime = lifetime
        if let pinned = issuer.tenantID, !pinned.isExactly(tenantID) {
            throw RemoteTrustError("'\(issuer.url)' was trusted for tenant '\(pinned)', but its discovery document says '\(tenantID)'")
        }
    }
}
