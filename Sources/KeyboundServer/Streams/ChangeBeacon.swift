import Synchronization

/// A change counter that streams wait on: ``signal()`` moves it and wakes every waiter at once.
/// A stream reads ``version`` before it queries the store, then waits for a version after it, so a
/// change that lands between the query and the wait is never missed.
final class ChangeBeacon: Sendable {
    private struct State {
        var version: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The current version.
    var version: UInt64 { state.withLock { $0.version } }

    /// How many tasks are waiting.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Moves the version and wakes every waiter.
    func signal() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.version &+= 1
            defer { state.waiters.removeAll(keepingCapacity: true) }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Waits until the version differs from `seen`, `timeout` passes or the task is cancelled.
    /// Returns whether the version changed.
    func wait(after seen: UInt64, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.change(after: seen) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return version != seen
    }

    /// Returns once the version differs from `seen`, or the task is cancelled.
    private func change(after seen: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Under the lock: a signal or a cancellation that came first is seen here; one that
                // comes later finds the waiter registered.
                let now = state.withLock { state -> Bool in
                    if state.version != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
