import Synchronization

/// Observers told, in this process, right after a store committed a change: the in-process wake-up
/// of event streams and caches, which then need no database read to learn that something changed.
/// Another process's commits are not seen here (those need a poll of the database).
///
/// Observers run synchronously on the committing thread, after the commit: keep them quick
/// (bump a counter, resume a waiter, evict a cache entry).
public final class StoreObservers<Change: Sendable>: Sendable {
    private struct State {
        var next: UInt64 = 0
        var handlers: [UInt64: @Sendable (Change) -> Void] = [:]
    }

    private let state = Mutex(State())

    /// No observers yet.
    public init() {}

    /// Adds `handler`; it is called after every commit until the returned observation is cancelled.
    @discardableResult
    public func observe(_ handler: @escaping @Sendable (Change) -> Void) -> StoreObservation {
        let id = state.withLock { state in
            let id = state.next
            state.next += 1
            state.handlers[id] = handler
            return id
        }
        return StoreObservation { [weak self] in self?.remove(id) }
    }

    /// Calls every observer with `change`.
    public func notify(_ change: Change) {
        let handlers = state.withLock { Array($0.handlers.values) }
        for handler in handlers { handler(change) }
    }

    /// How many observers are registered.
    public var count: Int { state.withLock { $0.handlers.count } }

    private func remove(_ id: UInt64) {
        _ = state.withLock { $0.handlers.removeValue(forKey: id) }
    }
}

/// A registration with ``StoreObservers``: ``cancel()`` removes the observer. Releasing it does
/// not: an observer that should live as long as the store needs no holder.
public final class StoreObservation: Sendable {
    private let onCancel: Mutex<(@Sendable () -> Void)?>

    init(_ onCancel: @escaping @Sendable () -> Void) {
        self.onCancel = Mutex(onCancel)
    }

    /// Removes the observer (idempotent).
    public func cancel() {
        onCancel.withLock { $0.take() }?()
    }
}
