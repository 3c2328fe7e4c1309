import Keybound
import Synchronization

/// Counts of holders per issuer (exact bytes) that refuse a holder beyond `limit` instead of
/// queueing it. Each issuer has its own `limit` places, so the tokens of one issuer (a stolen
/// key's forgeries, say) can never take the places of another issuer's.
final class BoundedCount: Sendable {
    private let counts = Mutex([ExactBytes: Int]())
    let limit: Int

    init(limit: Int) { self.limit = max(0, limit) }

    /// Takes one of `issuer`'s places; `false` when all `limit` are taken.
    func enter(_ issuer: String) -> Bool {
        counts.withLock { counts in
            let key = ExactBytes(issuer)
            let count = counts[key] ?? 0
            guard count < limit else { return false }
            counts[key] = count + 1
            return true
        }
    }

    /// Gives one of `issuer`'s places back.
    func leave(_ issuer: String) {
        counts.withLock { counts in
            let key = ExactBytes(issuer)
            let count = (counts[key] ?? 1) - 1
            counts[key] = count > 0 ? count : nil
        }
    }
}
