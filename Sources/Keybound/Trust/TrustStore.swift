import Foundation

/// Every issuer a verifier trusts, and every key bound to each.
///
/// Keys are found by (issuer, kid) and never by `kid` alone; there is no default key and no trying
/// of all keys. The `kid` index across issuers exists only to *name* a cross-issuer attempt
/// (`issuer_key_mismatch`), never to accept one.
public struct TrustStore: Sendable {
    private var issuers: [String: TrustedIssuer] = [:]
    /// Keys of a common set whose `issuer` is a template such as
    /// `https://login.microsoftonline.com/{tenantid}/v2.0`, by `kid`.
    private var templatedKeys: [String: [TemplatedKey]] = [:]
    /// Keys of a common set with no `issuer` member: they verify nothing, by `kid`.
    private var unboundKeys: [String: TrustedKey] = [:]
    /// For each `kid`, the exact issuers that have a key with it.
    private var issuersByKeyID: [String: [String]] = [:]

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
    public var issuerIdentifiers: [String] { issuers.keys.sorted() }

    /// The trusted issuer named exactly `identifier`.
    public func issuer(_ identifier: String) -> TrustedIssuer? { issuers[identifier] }

    /// Trusts an issuer. Refuses a second issuer with the same identifier.
    public mutating func add(_ issuer: TrustedIssuer) throws(KeyImportError) {
        guard issuers[issuer.identifier] == nil else {
            throw KeyImportError(.issuerBinding, "issuer '\(issuer.identifier)' is already trusted")
        }
        issuers[issuer.identifier] = issuer
        for keyID in issuer.keys.keys { issuersByKeyID[keyID, default: []].append(issuer.identifier) }
    }

    /// Trusts a multi-issuer key set whose keys carry a per-key `issuer` member.
    ///
    /// Each key is trusted for its own `issuer` only (created if not yet trusted). A key with a
    /// templated issuer serves any tenant whose token's `iss` equals the template with its `tid`
    /// substituted. A key with no `issuer` can verify nothing: validation fails closed.
    public mutating func addCommonKeySet(
        _ keySet: JWKSet, maximumTokenLifetime: TimeInterval = TrustedIssuer.defaultMaximumTokenLifetime
    ) throws(KeyImportError) {
        var entries: [(String?, TrustedKey)] = []
        for key in keySet.keys { entries.append((key.issuer, try TrustedKey(key))) }
        for unusable in keySet.unusableKeys { entries.append((unusable.issuer, TrustedKey(unusable: unusable))) }
        for (boundIssuer, key) in entries {
            guard let boundIssuer else {
                unboundKeys[key.keyID] = key
                continue
            }
            if boundIssuer.contains(Self.tenantPlaceholder) {
                templatedKeys[key.keyID, default: []].append(
                    TemplatedKey(template: boundIssuer, key: key, maximumTokenLifetime: maximumTokenLifetime))
                continue
            }
            var issuer = issuers[boundIssuer] ?? TrustedIssuer(identifier: boundIssuer, maximumTokenLifetime: maximumTokenLifetime)
            try issuer.add(key)
            issuers[boundIssuer] = issuer
            issuersByKeyID[key.keyID, default: []].append(boundIssuer)
        }
    }

    /// Replaces the lifecycle of one issuer's key, for example when a revocation arrives.
    @discardableResult
    public mutating func updateLifecycle(issuer identifier: String, keyID: String, to lifecycle: KeyLifecycle) -> Bool {
        issuers[identifier]?.updateLifecycle(ofKeyID: keyID, to: lifecycle) ?? false
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
        let tenantID: String?
        let maximumTokenLifetime: TimeInterval
    }

    /// Candidate keys of other issuers are capped, so a shared `kid` cannot multiply work.
    static let maximumForeignCandidates = 4

    func resolve(issuer identifier: String, keyID: String, tenantID: String?) -> Resolution {
        let exact = issuers[identifier]
        if let exact, let key = exact.keys[keyID] {
            return .found(key, IssuerContext(identifier: exact.identifier, tenantID: exact.tenantID,
                                             maximumTokenLifetime: exact.maximumTokenLifetime))
        }
        var foreign: [(key: TrustedKey, issuer: String)] = []
        if let templated = templatedKeys[keyID] {
            guard let tenantID else { return .tenantRequired }
            for entry in templated {
                let concrete = entry.template.replacingOccurrences(of: Self.tenantPlaceholder, with: tenantID)
                if concrete == identifier {
                    return .found(entry.key, IssuerContext(identifier: concrete, tenantID: tenantID,
                                                           maximumTokenLifetime: entry.maximumTokenLifetime))
                }
                foreign.append((entry.key, concrete))
            }
        }
        for other in issuersByKeyID[keyID] ?? [] where other != identifier {
            if let key = issuers[other]?.keys[keyID] { foreign.append((key, other)) }
        }
        let issuerIsTrusted = exact != nil || isTemplatedIssuer(identifier, tenantID: tenantID)
        if !foreign.isEmpty {
            return .foreign(Array(foreign.prefix(Self.maximumForeignCandidates)), issuerIsTrusted: issuerIsTrusted)
        }
        if let unbound = unboundKeys[keyID] { return .unbound(unbound) }
        return issuerIsTrusted ? .unknownKey : .untrustedIssuer
    }

    private func isTemplatedIssuer(_ identifier: String, tenantID: String?) -> Bool {
        guard let tenantID else { return false }
        return templatedKeys.values.contains { entries in
            entries.contains { $0.template.replacingOccurrences(of: Self.tenantPlaceholder, with: tenantID) == identifier }
        }
    }
}
