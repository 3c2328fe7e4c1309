import Synchronization

/// A mutual-exclusion lock for async code: a second caller suspends (it blocks no thread) until
/// the holder leaves, and waiters enter in arrival order. For a critical section that awaits, such
/// as a database transaction made of several async steps on one connection.
package final class AsyncSerialLock: Sendable {
    private struct State {
        var isHeld = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    package init() {}

    /// Runs `body` holding the lock.
    package func withLock<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if state.withLock({ state in
            guard !state.isHeld else { return false }
            state.isHeld = true
            return true
        }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let enteredAtOnce = state.withLock { state in
                if !state.isHeld {
                    state.isHeld = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if enteredAtOnce { continuation.resume() }
        }
    }

    private func release() {
        // The lock passes straight to the first waiter: it stays held, so no newcomer can overtake.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.isHeld = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
