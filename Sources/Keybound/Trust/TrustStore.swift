import Foundation

/// Every issuer a verifier trusts, and every key bound to each.
///
/// Keys are found by (issuer, kid) and never by `kid` alone; there is no default key and no trying
/// of all keys. The `kid` index across issuers exists only to *name* a cross-issuer attempt
/// (`issuer_key_mismatch`), never to accept one.
public struct TrustStore: Sendable {
    private var issuers: [ExactString: TrustedIssuer] = [:]
    /// Keys of a common set whose `issuer` is a template such as
    /// `https://login.microsoftonline.com/{tenantid}/v2.0`, by `kid`.
    private var templatedKeys: [ExactString: [TemplatedKey]] = [:]
    /// Keys of a common set with no `issuer` member: they verify nothing, by `kid`.
    private var unboundKeys: [ExactString: TrustedKey] = [:]
    /// For each `kid`, the exact issuers that have a key with it.
    private var issuersByKeyID: [ExactString: [String]] = [:]

    struct TemplatedKey: Sendable {
        let template: String
        let key: TrustedKey
        let maximumTokenLifetime: TimeInterval
    }

    /// The placeholder Microsoft uses in templated issuers.
    public static let tenantPlaceholder = "{tenantid}"

    /// An empty store: it trusts nothing, so every token is rejected.
    public init() {}

    /// The identifiers of the exactly named trusted issuers.
    public var issuerIdentifiers: [String] { issuers.keys.map(\.value).sorted() }

    /// The trusted issuer named exactly `identifier`.
    public func issuer(_ identifier: String) -> TrustedIssuer? { issuers[ExactString(identifier)] }

    /// Trusts an issuer. Refuses a second issuer with the same identifier, and a tenancy that does
    /// not fit the identifier: a ``Tenancy/templated`` issuer's identifier must hold
    /// ``tenantPlaceholder``, and no other issuer's may.
    public mutating func add(_ issuer: TrustedIssuer) throws(KeyImportError) {
        let isTemplate = issuer.identifier.contains(Self.tenantPlaceholder)
        guard isTemplate == (issuer.tenancy == .templated) else {
            throw KeyImportError(.issuerBinding, isTemplate
                ? "issuer '\(issuer.identifier)' is a template, so its tenancy must be templated"
                : "issuer '\(issuer.identifier)' is not a template (no \(Self.tenantPlaceholder)), so it cannot be templated")
        }
        if isTemplate {
            for keyID in issuer.keyIDs {
                guard let key = issuer.key(withID: keyID) else { continue }
                templatedKeys[ExactString(keyID), default: []].append(
                    TemplatedKey(template: issuer.identifier, key: key, maximumTokenLifetime: issuer.maximumTokenLifetime))
            }
            return
        }
        let name = ExactString(issuer.identifier)
        guard issuers[name] == nil else {
            throw KeyImportError(.issuerBinding, "issuer '\(issuer.identifier)' is already trusted")
        }
        issuers[name] = issuer
        for keyID in issuer.keyIDs { issuersByKeyID[ExactString(keyID), default: []].append(issuer.identifier) }
    }

    /// Trusts a multi-issuer key set whose keys carry a per-key `issuer` member.
    ///
    /// Each key is trusted for its own `issuer` only (created if not yet trusted). A key with a
    /// templated issuer serves any tenant whose token's `iss` equals the template with its `tid`
    /// substituted. A key with no `issuer` can verify nothing: validation fails closed.
    ///
    /// `tenancies` states the tenancy of every concrete (not templated) issuer the set names, by
    /// exact identifier; a key of a concrete issuer missing from it is refused
    /// (``KeyImportError/Code/tenancyUnstated``), since a tenancy is never assumed.
    public mutating func addCommonKeySet(
        _ keySet: JWKSet, tenancies: [String: Tenancy],
        maximumTokenLifetime: TimeInterval = TrustedIssuer.defaultMaximumTokenLifetime
    ) throws(KeyImportError) {
        var stated: [ExactString: Tenancy] = [:]
        for (identifier, tenancy) in tenancies { stated[ExactString(identifier)] = tenancy }
        var entries: [(String?, TrustedKey)] = []
        for key in keySet.keys { entries.append((key.issuer, try TrustedKey(key))) }
        for unusable in keySet.unusableKeys { entries.append((unusable.issuer, TrustedKey(unusable: unusable))) }
        for (boundIssuer, key) in entries {
            guard let boundIssuer else {
                unboundKeys[ExactString(key.keyID)] = key
                continue
            }
            if boundIssuer.contains(Self.tenantPlaceholder) {
                templatedKeys[ExactString(key.keyID), default: []].append(
                    TemplatedKey(template: boundIssuer, key: key, maximumTokenLifetime: maximumTokenLifetime))
                continue
            }
            let name = ExactString(boundIssuer)
            guard let tenancy = issuers[name]?.tenancy ?? stated[name] else {
                throw KeyImportError(.tenancyUnstated, "kid '\(key.keyID)' is bound to issuer '\(boundIssuer)', whose tenancy was not stated")
            }
            guard tenancy != .templated else {
                throw KeyImportError(.issuerBinding, "issuer '\(boundIssuer)' is not a template, so it cannot be templated")
            }
            var issuer = issuers[name] ?? TrustedIssuer(identifier: boundIssuer, tenancy: tenancy, maximumTokenLifetime: maximumTokenLifetime)
            try issuer.add(key)
            issuers[name] = issuer
            issuersByKeyID[ExactString(key.keyID), default: []].append(boundIssuer)
        }
    }

    /// Replaces the lifecycle of one issuer's key, for example when a revocation arrives.
    @discardableResult
    public mutating func updateLifecycle(issuer identifier: String, keyID: String, to lifecycle: KeyLifecycle) -> Bool {
        issuers[ExactString(identifier)]?.updateLifecycle(ofKeyID: keyID, to: lifecycle) ?? false
    }

    /// Replaces the lifecycle of a key of a common set (templated or unbound issuer), for example
    /// to revoke a stolen key that a multi-tenant set publishes. Returns whether a key was found.
    @discardableResult
    public mutating func updateCommonKeyLifecycle(keyID: String, to lifecycle: KeyLifecycle) -> Bool {
        let name = ExactString(keyID)
        var found = false
        if var entries = templatedKeys[name] {
            for index in entries.indices {
                var key = entries[index].key
                key.lifecycle = lifecycle
                entries[index] = TemplatedKey(template: entries[index].template, key: key, maximumTokenLifetime: entries[index].maximumTokenLifetime)
            }
            templatedKeys[name] = entries
            found = true
        }
        if unboundKeys[name] != nil {
            unboundKeys[name]!.lifecycle = lifecycle
            found = true
        }
        return found
    }

    /// What a token's (`iss`, `kid`, `tid`) resolves to.
    enum Resolution {
        /// The issuer's own key, with the issuer's settings.
        case found(TrustedKey, IssuerContext)
        /// Not a key of `iss`, but a key of other trusted issuers: candidates for `issuer_key_mismatch`.
        case foreign([(key: TrustedKey, issuer: String)], issuerIsTrusted: Bool)
        /// A key with no issuer binding.
        case unbound(TrustedKey)
        /// A templated key that needs the token's `tid`, which is missing.
        case tenantRequired
        /// The issuer is trusted but has no such key.
        case unknownKey
        /// Nobody trusts this issuer.
        case untrustedIssuer
    }

    /// The settings of the issuer a key was found under.
    struct IssuerContext {
        let identifier: String
        let tenancy: Tenancy
        /// For a templated issuer, the token's `tid` that made the template equal its `iss`.
        let templatedTenantID: String?
        let maximumTokenLifetime: TimeInterval
    }

    /// Candidate keys of other issuers are capped, so a shared `kid` cannot multiply work.
    static let maximumForeignCandidates = 4

    func resolve(issuer identifier: String, keyID: String, tenantID: String?) -> Resolution {
        let exact = issuers[ExactString(identifier)]
        let exactKeyID = ExactString(keyID)
        if let exact, let key = exact.key(withID: keyID) {
            return .found(key, IssuerContext(identifier: exact.identifier, tenancy: exact.tenancy, templatedTenantID: nil,
                                             maximumTokenLifetime: exact.maximumTokenLifetime))
        }
        var foreign: [(key: TrustedKey, issuer: String)] = []
        var needsTenant = false
        if let templated = templatedKeys[exactKeyID] {
            for entry in templated {
                guard let tenantID else {
                    needsTenant = true
                    continue
                }
                let concrete = entry.template.replacingOccurrences(of: Self.tenantPlaceholder, with: tenantID)
                if concrete.isExactly(identifier) {
                    return .found(entry.key, IssuerContext(identifier: concrete, tenancy: .templated, templatedTenantID: tenantID,
                                                           maximumTokenLifetime: entry.maximumTokenLifetime))
                }
                foreign.append((entry.key, concrete))
            }
        }
        for other in issuersByKeyID[exactKeyID] ?? [] where !other.isExactly(identifier) {
            if let key = issuers[ExactString(other)]?.key(withID: keyID) { foreign.append((key, other)) }
        }
        let issuerIsTrusted = exact != nil || isTemplatedIssuer(identifier, tenantID: tenantID)
        if !foreign.isEmpty {
            // Another issuer's real key is named: that alert outranks a missing tid.
            return .foreign(Array(foreign.prefix(Self.maximumForeignCandidates)), issuerIsTrusted: issuerIsTrusted)
        }
        if needsTenant { return .tenantRequired }
        if let unbound = unboundKeys[exactKeyID] { return .unbound(unbound) }
        return issuerIsTrusted ? .unknownKey : .untrustedIssuer
    }

    private func isTemplatedIssuer(_ identifier: String, tenantID: String?) -> Bool {
        guard let tenantID else { return false }
        return templatedKeys.values.contains { entries in
            entries.contains { $0.template.replacingOccurrences(of: Self.tenantPlaceholder, with: tenantID).isExactly(identifier) }
        }
    }
}
