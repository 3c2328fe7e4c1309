import Synchronization

/// A counting semaphore for async tests: at most `count` holders at once, the others suspended in
/// arrival order. The PostgreSQL store fixtures take one each, so that the store suites' PostgreSQL
/// cases (CPU-heavy in a debug build of postgres-nio) do not all run at once and starve the
/// timing-sensitive tests that share the process's two concurrency threads.
package final class TestPermits: Sendable {
    private struct State {
        package var available: Int
        package var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    package init(_ count: Int) { state = Mutex(State(available: count)) }

    /// Waits for a permit.
    package func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                guard state.available > 0 else {
                    state.waiters.append(continuation)
                    return false
                }
                state.available -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Returns a permit (hands it to the first waiter, if any).
    package func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
