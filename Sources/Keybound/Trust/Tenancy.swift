/// How an issuer's tokens name their tenant (`tid`). Every ``TrustedIssuer`` states one; there is
/// no default, because the wrong default is exactly how one issuer's key came to read another's
/// tenant (a token's `tid` taken on its word).
public enum Tenancy: Sendable, Equatable {
    /// An enterprise tenant: every token carries exactly this `tid`.
    case tenant(String)
    /// A consumer realm with its own tenant id: every token carries exactly this `tid`.
    case consumer(String)
    /// A templated issuer of a common key set (its identifier holds ``TrustStore/tenantPlaceholder``):
    /// the token's `tid` is the one that, substituted into the template, gives the token's `iss`.
    case templated
    /// No tenant: a token that carries a `tid` is refused (`tenant_mismatch`), and tokens have no tenant.
    /// (Not spelled `none`, which `Optional.none` would shadow in `dict[issuer] = .none`.)
    case noTenant

    /// The tenant id every token must carry, for ``tenant(_:)`` and ``consumer(_:)``.
    public var fixedTenantID: String? {
        switch self {
        case .tenant(let id), .consumer(let id): id
        case .templated, .noTenant: nil
        }
    }

    public static func == (lhs: Tenancy, rhs: Tenancy) -> Bool {
        switch (lhs, rhs) {
        case (.tenant(let a), .tenant(let b)), (.consumer(let a), .consumer(let b)): a.isExactly(b)
        case (.templated, .templated), (.noTenant, .noTenant): true
        default: false
        }
    }
}

/// A tenant: the pair (issuer, tenant id), compared and hashed by exact bytes.
///
/// A tenant id alone names nothing: two issuers may carry the same `tid` (one of them forged), and
/// only the pair says whose tenant it is. Made by the verifier from a verified token and its
/// issuer's ``Tenancy``, or by a resource from its own records.
public struct Tenant: Hashable, Sendable, CustomStringConvertible {
    /// What kind of identity system the tenant belongs to.
    public enum Kind: String, Sendable, CaseIterable {
        /// An enterprise tenant.
        case tenant
        /// A consumer realm.
        case consumer
        /// A tenant of a templated issuer (its `tid` is part of its `iss`).
        case templated
    }

    /// The issuer identifier (`iss`).
    public let issuer: String
    /// The tenant id (`tid`).
    public let tenantID: String
    /// The kind of issuer. Not part of equality: one (issuer, tid) is one tenant.
    public let kind: Kind

    /// A tenant.
    public init(issuer: String, tenantID: String, kind: Kind) {
        self.issuer = issuer
        self.tenantID = tenantID
        self.kind = kind
    }

    /// Whether both name the same (issuer, tid), byte for byte.
    public static func == (lhs: Tenant, rhs: Tenant) -> Bool {
        lhs.issuer.isExactly(rhs.issuer) && lhs.tenantID.isExactly(rhs.tenantID)
    }

    /// Hashes the exact bytes of issuer and tenant id.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ExactString(issuer))
        hasher.combine(ExactString(tenantID))
    }

    /// Whether this is the tenant `tenantID` of `issuer`, byte for byte.
    public func isTenant(_ tenantID: String, of issuer: String) -> Bool {
        self.issuer.isExactly(issuer) && self.tenantID.isExactly(tenantID)
    }

    /// `tid@iss`, for logs and messages.
    public var description: String { "\(tenantID)@\(issuer)" }
}
