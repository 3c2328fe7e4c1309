import Foundation

/// What a validator keeps of its issuers' issuance feeds: the entries (``IssuedTokenSet``) and when
/// each feed was last heard from (``IssuanceFeedClock``). ``TokenEventSubscriber`` fills it;
/// ``IssuanceFeedCheck`` reads it.
public struct IssuanceFeed: Sendable {
    /// The feed entries held.
    public let issued: IssuedTokenSet
    /// When each issuer's feed was last heard from.
    public let feeds: IssuanceFeedClock
    /// Whether the entries of an issuer are kept (not those of an issuer whose check is skipped).
    public let holds: @Sendable (String) -> Bool

    /// A feed holding at most `maximumEntries` entries, of the issuers for which `holds` is true.
    public init(maximumEntries: Int = 1_000_000, holds: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.init(issued: IssuedTokenSet(maximumEntries: maximumEntries), feeds: IssuanceFeedClock(), holds: holds)
    }

    /// A feed over these parts.
    public init(issued: IssuedTokenSet, feeds: IssuanceFeedClock, holds: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.issued = issued
        self.feeds = feeds
        self.holds = holds
    }
}
