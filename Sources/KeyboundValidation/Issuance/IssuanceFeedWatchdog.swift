import Foundation
import ServiceLifecycle

/// Keeps the verified-token cache honest about stale issuance feeds. ``IssuanceFeedCheck`` runs
/// only on tokens the cache does not hold, so when an issuer's feed goes silent longer than the
/// staleness limit, the watchdog removes that issuer's cached tokens: from then on each of its
/// tokens is checked again, and refused `ledger_unavailable` until the feed is heard from.
///
/// It looks every `interval` (default 1 s), so a cached token is served at most that long after
/// its feed went stale. Run it as a ServiceLifecycle `Service` beside the subscriber.
public struct IssuanceFeedWatchdog: Service {
    /// When each feed was last heard from.
    let feeds: IssuanceFeedClock
    /// The issuers to watch (URLs, exactly as trusted), and whether the check applies to each now.
    let issuers: [String]
    let applies: @Sendable (String) -> Bool
    /// How long a feed may be silent.
    let staleness: TimeInterval
    let cache: VerifiedTokenCache?
    let interval: Duration

    /// A watchdog over `issuers`' feeds in `feeds`, evicting from `cache`.
    public init(feeds: IssuanceFeedClock, issuers: [String], applies: @escaping @Sendable (String) -> Bool, staleness: TimeInterval,
                cache: VerifiedTokenCache?, interval: Duration = .seconds(1)) {
        self.feeds = feeds
        self.issuers = issuers
        self.applies = applies
        self.staleness = staleness
        self.cache = cache
        self.interval = interval
    }

    /// Looks once: evicts the cached tokens of every watched issuer whose feed is stale; returns those issuers.
    @discardableResult
    public func sweep() -> [String] {
        let stale = issuers.filter { applies($0) && !feeds.isFresh(issuer: $0, staleness: staleness) }
        for issuer in stale { cache?.invalidate(issuer: issuer) }
        return stale
    }

    /// Sweeps every `interval` until cancelled or a graceful shutdown begins.
    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                sweep()
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
