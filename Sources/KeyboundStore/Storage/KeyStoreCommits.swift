import Synchronization

/// What a key store instance tells this process about its write transactions: a counter that
/// moves on every attempt (a change signal for caches that costs no database read) and the
/// observers told after every commit. Shared by both backends.
final class KeyStoreCommits: Sendable {
    private let writes = Atomic<Int>(0)
    /// Told after every committed write transaction.
    let observers = StoreObservers<Void>()

    /// Write transactions attempted (committed or not; a spurious change signal only costs a reload).
    var count: Int { writes.load(ordering: .acquiring) }

    /// Runs the write transaction `body`. After it, the counter moves first and, on a commit, the
    /// observers are told second: an observer that wakes a reader (an event stream, then a
    /// validator fetching the JWKS) must find the caches keyed on the counter stale.
    func recording<T>(_ body: () async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body()
        } catch {
            writes.add(1, ordering: .releasing)
            throw error
        }
        writes.add(1, ordering: .releasing)
        observers.notify(())
        return result
    }
}
