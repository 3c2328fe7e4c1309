import Foundation

/// What a validator keeps of its issuers' issuance feeds: the entries (``IssuedTokenSet``) and when
/// each feed was last heard from (``IssuanceFeedClock``). ``TokenEventSubscriber`` fills it;
/// ``IssuanceFeedCheck`` reads it.
public struct IssuanceFeed: Sendable {
    /// The feed entries held.
    public let issued: IssuedTokenSet
    /// When each issuer's feed was last heard from.
    public let feeds: IssuanceFeedClock

    /// A feed holding at most `maximumEntries` entries.
    public init(maximumEntries: Int = 1_000_000) {
        self.init(issued: IssuedTokenSet(maximumEntries: maximumEntries), feeds: IssuanceFeedClock())
    }

    /// A feed over these parts.
    public init(issued: IssuedTokenSet, feeds: IssuanceFeedClock) {
        self.issued = issued
        self.feeds = feeds
    }
}
