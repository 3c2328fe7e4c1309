import Foundation
import Synchronization

/// When each issuer's issuance feed was last heard from (an entry, a revocation or a keep-alive).
public final class IssuanceFeedClock: Sendable {
    private let heard = Mutex([ExactBytes: Date]())

    /// A clock that has heard from no feed yet: every issuer's feed is stale until it reports.
    public init() {}

    /// Records that `issuer`'s feed was heard from at `now`.
    public func heard(issuer: String, at now: Date) {
        heard.withLock { $0[ExactBytes(issuer)] = max($0[ExactBytes(issuer)] ?? .distantPast, now) }
    }

    /// Whether `issuer`'s feed was heard from within `staleness` before `now`.
    public func isFresh(issuer: String, now: Date, staleness: TimeInterval) -> Bool {
        guard let last = heard.withLock({ $0[ExactBytes(issuer)] }) else { return false }
        return now.timeIntervalSince(last) <= staleness
    }
}
