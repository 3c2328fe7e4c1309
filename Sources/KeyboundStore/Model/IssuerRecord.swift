import Foundation
import Keybound

/// A separate identity system: its URL, kind, tenant id, and the settings of its key lifecycle.
public struct IssuerRecord: Sendable, Equatable {
    /// Whether an issuer is a consumer realm, an enterprise tenant, or the store's operator issuer.
    public enum Kind: String, Sendable, CaseIterable {
        /// A consumer realm (like MSA).
        case consumer
        /// An enterprise tenant (like an Azure AD tenant), with a tenant id.
        case tenant
        /// The issuer of the people who operate this Keybound (`Console.Operator`): at most one per
        /// store. Its tenant id is generated, and its tokens name it as a tenant (an organisation).
        case `operator`

        /// Whether the tenant id is generated when the issuer is created (never configured).
        public var hasGeneratedTenantID: Bool { self != .tenant }
    }

    /// Short name used on the command line and in paths (`[a-z0-9-]`, 1–64 characters).
    public var id: String
    /// The issuer identifier (`iss`), exact.
    public var url: String
    /// Consumer realm or enterprise tenant.
    public var kind: Kind
    /// The tenant id (`tid`) every token of the issuer carries, unique in the store. Configured for a
    /// tenant; generated for a consumer realm when it is created (`nil` until then, never stored so).
    public var tenantID: String?
    /// The algorithm its keys sign with.
    public var algorithm: JWSAlgorithm
    /// How long a key signs before the next one takes over.
    public var rotationPeriod: TimeInterval
    /// How long a new key is published (pending) before it signs.
    public var publishLeadTime: TimeInterval
    /// The longest access or ID token lifetime; bounds how long a verify-only key stays.
    public var maximumTokenLifetime: TimeInterval
    /// The age at which an active key is replaced whatever else happens.
    public var maximumKeyAge: TimeInterval
    /// When the issuer was created.
    public var createdAt: Date
    /// Who holds its private signing keys. Fixed when the issuer is created.
    public var custody: KeyCustody

    /// Default rotation period: 30 days.
    public static let defaultRotationPeriod: TimeInterval = 30 * 86_400
    /// Default publish lead time: 24 hours.
    public static let defaultPublishLeadTime: TimeInterval = 86_400
    /// Default maximum token lifetime: 1 hour.
    public static let defaultMaximumTokenLifetime: TimeInterval = 3_600
    /// Default maximum key age: 90 days.
    public static let defaultMaximumKeyAge: TimeInterval = 90 * 86_400

    /// Creates an issuer record; call ``validate()`` before storing it.
    public init(
        id: String, url: String, kind: Kind, tenantID: String? = nil, algorithm: JWSAlgorithm = .es256,
        rotationPeriod: TimeInterval = defaultRotationPeriod, publishLeadTime: TimeInterval = defaultPublishLeadTime,
        maximumTokenLifetime: TimeInterval = defaultMaximumTokenLifetime, maximumKeyAge: TimeInterval = defaultMaximumKeyAge,
        createdAt: Date, custody: KeyCustody = .software
    ) {
        self.id = id
        self.url = url
        self.kind = kind
        self.tenantID = tenantID
        self.algorithm = algorithm
        self.rotationPeriod = rotationPeriod
        self.publishLeadTime = publishLeadTime
        self.maximumTokenLifetime = maximumTokenLifetime
        self.maximumKeyAge = maximumKeyAge
        self.createdAt = createdAt
        self.custody = custody
    }

    /// The tenant id Microsoft's consumer realm (MSA) tokens carry. The first consumer realm of a
    /// store keeps it, so tokens it issued before tenant ids were per issuer stay valid.
    public static let wellKnownConsumerTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

    /// The tenant id for a new consumer realm: ``wellKnownConsumerTenantID`` if no issuer in the
    /// store has it yet (`taken`), otherwise a fresh random UUID.
    public static func generatedConsumerTenantID(taken: Set<ExactString>) -> String {
        taken.contains(ExactString(wellKnownConsumerTenantID)) ? UUID().uuidString.lowercased() : wellKnownConsumerTenantID
    }

    /// How the issuer's tokens name their tenant, once it has a tenant id.
    public var tenancy: Tenancy? {
        guard let tenantID else { return nil }
        switch kind {
        case .tenant, .operator: return .tenant(tenantID)
        case .consumer: return .consumer(tenantID)
        }
    }

    /// The tenant of the issuer's tokens, once it has a tenant id.
    public var tenant: Tenant? {
        tenantID.map { Tenant(issuer: url, tenantID: $0, kind: kind == .consumer ? .consumer : .tenant) }
    }

    /// Ids that would collide with `keybound serve`'s own top-level routes.
    public static let reservedIDs: Set<String> = ["admin", "console", "health", "metrics"]

    /// Whether `tenantID` is 1–128 characters of `A-Z a-z 0-9 . _ -` (a UUID fits).
    public static func isValidTenantID(_ tenantID: String) -> Bool {
        !tenantID.isEmpty && tenantID.utf8.count <= 128 && tenantID.utf8.allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// Checks the settings, with one clear message per problem. A consumer realm's tenant id may
    /// still be unset: ``KeyManager/createIssuer(_:actor:)`` generates it.
    public func validate() throws(StoreError) {
        let idOK = !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
        guard idOK else { throw StoreError(.invalidIssuer, "issuer id '\(id)' must be 1-64 characters of a-z, 0-9 and '-'") }
        guard !Self.reservedIDs.contains(id) else {
            throw StoreError(.invalidIssuer, "issuer id '\(id)' is reserved for the server's own routes (/\(id))")
        }
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["https", "http"].contains(scheme), parsed.host != nil else {
            throw StoreError(.invalidIssuer, "issuer URL '\(url)' must be an absolute http(s) URL")
        }
        guard parsed.query == nil, parsed.fragment == nil else {
            throw StoreError(.invalidIssuer, "issuer URL must not have a query or fragment (OpenID Connect Discovery §3)")
        }
        if kind == .tenant, tenantID?.isEmpty ?? true { throw StoreError(.invalidIssuer, "a tenant issuer needs --tenant-id") }
        if let tenantID, !Self.isValidTenantID(tenantID) {
            throw StoreError(.invalidIssuer, "tenant id '\(tenantID.prefix(80))' must be 1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
        }
        guard rotationPeriod >= 3_600 else { throw StoreError(.invalidIssuer, "rotation period must be at least 1 hour") }
        guard publishLeadTime > 0 else { throw StoreError(.invalidIssuer, "publish lead time must be positive") }
        guard publishLeadTime < rotationPeriod else {
            throw StoreError(.invalidIssuer, "publish lead time (\(DurationText.text(publishLeadTime))) must be shorter than the rotation period (\(DurationText.text(rotationPeriod)))")
        }
        guard maximumTokenLifetime > 0, maximumTokenLifetime <= 86_400 else {
            throw StoreError(.invalidIssuer, "maximum token lifetime must be between 1 second and 1 day")
        }
        guard maximumTokenLifetime < rotationPeriod else {
            throw StoreError(.invalidIssuer, "maximum token lifetime must be shorter than the rotation period")
        }
        guard maximumKeyAge >= rotationPeriod else {
            throw StoreError(.invalidIssuer, "maximum key age (\(DurationText.text(maximumKeyAge))) must be at least the rotation period (\(DurationText.text(rotationPeriod)))")
        }
    }
}
