import Synchronization

/// Runs `operation` in a task of its own and returns what it returns, or throws `expired()` once
/// `limit` has passed, without waiting for it: the operation is cancelled and left to end on its
/// own. For work whose callers must not wait past a deadline even when the work does not honour
/// cancellation (a structured deadline waits for its child to end).
///
/// A transaction abandoned this way may still commit later; callers treat the expiry as "not
/// known to be written", never as "not written".
package func abandoning<T: Sendable>(after limit: Duration, expired: @escaping @Sendable () -> any Error,
                                     _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = AbandonRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let timer = Task {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                race.expire(expired())
            }
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                timer.cancel()
                race.finish(result)
            }
            race.onExpiry { work.cancel() }
        }
    } onCancel: {
        // The caller's cancellation reaches the work, whose own ending (a cancellation error,
        // as a rule) then answers the caller; the deadline still bounds the wait.
        race.cancelWork()
    }
}

/// The continuation both racers try to resume; the first wins.
private final class AbandonRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var cancelWork: (@Sendable () -> Void)?
        var expired = false
        var callerCancelled = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// `cancel` runs when the deadline wins or the caller is cancelled (at once, if either has).
    func onExpiry(_ cancel: @escaping @Sendable () -> Void) {
        let cancelNow = state.withLock { state -> Bool in
            state.cancelWork = cancel
            return state.expired || state.callerCancelled
        }
        if cancelNow { cancel() }
    }

    /// The caller was cancelled: cancel the work (now, or as soon as it exists).
    func cancelWork() {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            state.callerCancelled = true
            return state.cancelWork
        }
        cancel?()
    }

    /// The operation ended: its result goes to the caller, unless the deadline came first.
    func finish(_ result: Result<T, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }

    /// The deadline passed: the caller gets `error` and the operation is cancelled, unless it
    /// ended first.
    func expire(_ error: any Error) {
        let (continuation, cancel) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard let continuation = state.continuation else { return (nil, nil) }
            state.continuation = nil
            state.expired = true
            return (continuation, state.cancelWork)
        }
        cancel?()
        continuation?.resume(throwing: error)
    }
}
