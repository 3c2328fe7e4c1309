import Foundation
import Synchronization

/// When each issuer's issuance feed was last heard from (an entry, a revocation or a keep-alive).
///
/// It keeps its own time, the wall clock by default, not the verifier's: a feed is stale when the
/// provider has been silent that long in fact, whatever clock the tokens are judged by (a drill's
/// simulated month, a test's fixed clock).
public final class IssuanceFeedClock: Sendable {
    private let heard = Mutex([ExactBytes: Date]())
    private let now: @Sendable () -> Date

    /// A clock that has heard from no feed yet: every issuer's feed is stale until it reports.
    /// `now` is its time (the wall clock unless a test gives another).
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Records that `issuer`'s feed was heard from just now.
    public func heard(issuer: String) {
        let at = now()
        heard.withLock { $0[ExactBytes(issuer)] = max($0[ExactBytes(issuer)] ?? .distantPast, at) }
    }

    /// Whether `issuer`'s feed was heard from within the last `staleness` seconds.
    public func isFresh(issuer: String, staleness: TimeInterval) -> Bool {
        guard let last = heard.withLock({ $0[ExactBytes(issuer)] }) else { return false }
        return now().timeIntervalSince(last) <= staleness
    }
}
