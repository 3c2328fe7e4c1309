import Keybound
import KeyboundValidation

/// How a remote validator runs the issuance check (`IssuanceFeedCheck`): on for every trusted
/// issuer whose discovery document advertises `issuance_feed_endpoint`, except the issuers an
/// operator skipped explicitly (`--unsafe-skip-issuance-check ISSUER`, refused in production).
public struct RemoteIssuanceCheck: Sendable {
    /// Where an issuer stands.
    public enum State: String, Sendable, Equatable {
        /// Its tokens must be in its issuance feed.
        case on
        /// Skipped by the operator: a forgery made with its own stolen key is served.
        case skipped
        /// Its discovery document advertises no issuance feed (not a Keybound provider, or an old one).
        case notAdvertised = "not_advertised"
    }

    /// Issuer URLs (exactly as trusted) whose check is skipped.
    public var skipped: [String]
    /// The bounds of the check.
    public var limits: IssuanceFeedCheck.Limits
    /// The most feed entries held (the `IssuedTokenSet` cap).
    public var maximumEntries: Int

    /// The check on for every advertising issuer, with the default bounds.
    public init(skipped: [String] = [], limits: IssuanceFeedCheck.Limits = IssuanceFeedCheck.Limits(), maximumEntries: Int = 1_000_000) {
        self.skipped = skipped
        self.limits = limits
        self.maximumEntries = maximumEntries
    }

    /// Where `issuer` stands with `trust`'s discovery documents.
    public func state(of issuer: String, in trust: RemoteTrustStore) -> State {
        if skipped.contains(where: { $0.isExactly(issuer) }) { return .skipped }
        return trust.issuanceFeed(issuer) == nil ? .notAdvertised : .on
    }

    /// Each trusted issuer's state, for `/health`.
    public func health(_ trust: RemoteTrustStore) -> JSONObject {
        var object = JSONObject()
        for issuer in trust.configuration.issuers { object[issuer.url] = .string(state(of: issuer.url, in: trust).rawValue) }
        return object
    }
}
