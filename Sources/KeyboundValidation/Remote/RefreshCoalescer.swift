import Synchronization

/// Coalesces concurrent refreshes of one resource without ever answering a caller with a fetch
/// that started before it asked: a caller that arrives while a refresh runs waits for the next
/// one, which serves every caller that arrived in the meantime. So a burst of key events costs at
/// most two fetches, and each caller sees a key set fetched after its event.
final class RefreshCoalescer: Sendable {
    private enum Turn: Sendable {
        case lead
        case done(Bool)
    }

    private struct State {
        var running = false
        /// Callers served by the refresh running now (they arrived before it started).
        var current: [CheckedContinuation<Turn, Never>] = []
        /// Callers that arrived while it runs: served by the next one.
        var next: [CheckedContinuation<Turn, Never>] = []
    }

    private let state = Mutex(State())

    /// How many callers wait for a refresh that another caller runs.
    var waiting: Int { state.withLock { $0.current.count + $0.next.count } }

    /// Runs `refresh`, or joins the next run of it; returns that run's result.
    func run(_ refresh: @Sendable () async -> Bool) async -> Bool {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let lead = state.withLock { state -> Bool in
                if state.running {
                    state.next.append(continuation)
                    return false
                }
                state.running = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .done(let result):
            return result
        case .lead:
            let result = await refresh()
            let (served, nextLeader) = state.withLock { state -> ([CheckedContinuation<Turn, Never>], CheckedContinuation<Turn, Never>?) in
                let served = state.current
                state.current = state.next
                state.next = []
                let leader = state.current.isEmpty ? nil : state.current.removeFirst()
                if leader == nil { state.running = false }
                return (served, leader)
            }
            for waiter in served { waiter.resume(returning: .done(result)) }
            nextLeader?.resume(returning: .lead)
            return result
        }
    }
}
