import Synchronization

/// A count of holders that refuses a holder beyond `limit` instead of queueing it.
final class BoundedCount: Sendable {
    private let count = Mutex(0)
    let limit: Int

    init(limit: Int) { self.limit = max(0, limit) }

    /// Takes a place; `false` when all `limit` are taken.
    func enter() -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Gives a place back.
    func leave() { count.withLock { $0 -= 1 } }
}
