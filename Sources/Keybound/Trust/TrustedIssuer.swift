import Foundation

/// One identity system whose tokens a verifier accepts: its `iss`, its tenancy, and its own keys.
///
/// A key added to an issuer belongs to it alone. A key whose JWK names a different `issuer`
/// member cannot be added (``KeyImportError/Code/issuerBinding``).
public struct TrustedIssuer: Sendable {
    /// The issuer identifier, compared with the token's `iss` by exact string equality. For a
    /// ``Tenancy/templated`` issuer, a template holding ``TrustStore/tenantPlaceholder``.
    public let identifier: String
    /// How the issuer's tokens name their tenant.
    public let tenancy: Tenancy
    /// The tenant id (`tid`) every token of this issuer must carry, if the tenancy fixes one.
    public var tenantID: String? { tenancy.fixedTenantID }
    /// The longest `exp` − `iat` accepted for this issuer's tokens. A value that is not a finite
    /// positive number is taken as 0, which accepts no token (fail closed).
    public let maximumTokenLifetime: TimeInterval
    /// The issuer's keys by exact `kid`.
    private var keysByID: [ExactString: TrustedKey]

    /// The default for ``maximumTokenLifetime``: one day.
    public static let defaultMaximumTokenLifetime: TimeInterval = 86_400

    /// Creates an issuer with no keys yet. The tenancy has no default: say what the issuer's tokens
    /// carry as their `tid`.
    public init(identifier: String, tenancy: Tenancy, maximumTokenLifetime: TimeInterval = defaultMaximumTokenLifetime) {
        self.identifier = identifier
        self.tenancy = tenancy
        self.maximumTokenLifetime = maximumTokenLifetime.isFinite && maximumTokenLifetime > 0 ? maximumTokenLifetime : 0
        self.keysByID = [:]
    }

    /// Creates an issuer trusting every key of `keySet` (usable or not) with an unbounded lifecycle.
    ///
    /// Refuses a set any of whose keys names another `issuer`.
    public init(
        identifier: String, tenancy: Tenancy,
        maximumTokenLifetime: TimeInterval = defaultMaximumTokenLifetime, keySet: JWKSet
    ) throws(KeyImportError) {
        self.init(identifier: identifier, tenancy: tenancy, maximumTokenLifetime: maximumTokenLifetime)
        for key in keySet.keys { try add(TrustedKey(key)) }
        for unusable in keySet.unusableKeys {
            if let other = unusable.issuer, !other.isExactly(identifier) {
                throw KeyImportError(.issuerBinding, "kid '\(unusable.keyID)' is bound to issuer '\(other)', not '\(identifier)'")
            }
            try add(TrustedKey(unusable: unusable))
        }
    }

    /// Adds a key. Refuses a key bound to another issuer or a `kid` already in use.
    public mutating func add(_ key: TrustedKey) throws(KeyImportError) {
        if let other = key.declaredIssuer, !other.isExactly(identifier) {
            throw KeyImportError(.issuerBinding, "kid '\(key.keyID)' is bound to issuer '\(other)', not '\(identifier)'")
        }
        guard keysByID[ExactString(key.keyID)] == nil else {
            throw KeyImportError(.duplicateKeyID, "issuer '\(identifier)' already has a key with kid '\(key.keyID)'")
        }
        keysByID[ExactString(key.keyID)] = key
    }

    /// The key whose `kid` is exactly `keyID` (no Unicode normalization), if any.
    public func key(withID keyID: String) -> TrustedKey? { keysByID[ExactString(keyID)] }

    /// The `kid`s of all keys, sorted.
    public var keyIDs: [String] { keysByID.keys.map(\.value).sorted() }

    /// Replaces the lifecycle of a key already trusted (for example after a revocation).
    public mutating func updateLifecycle(ofKeyID keyID: String, to lifecycle: KeyLifecycle) -> Bool {
        guard keysByID[ExactString(keyID)] != nil else { return false }
        keysByID[ExactString(keyID)]!.lifecycle = lifecycle
        return true
    }
}
