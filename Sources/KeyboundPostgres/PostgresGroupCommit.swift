import PostgresNIO
import Synchronization

/// Group commit on PostgreSQL: items submitted while a transaction is running are written
/// together in the next one, so a burst of requests costs one commit round trip, not one each.
///
/// - One transaction runs at a time per writer. Its items are those that waited when it began,
///   at most ``maximumBatch``, in the order they were submitted: a lone item is committed at once,
///   and a batch grows only while the previous one is committing.
/// - ``submit(_:)`` returns once its item's transaction has committed, with the outcome the batch
///   closure gave for it.
/// - When a batch's transaction fails it has rolled back, and every item of it is retried alone in
///   a transaction of its own, so one bad item fails only its own submitter. When the database
///   could not be reached at all, every item of the batch fails at once instead.
/// - A submitter that is cancelled still gets its item written or refused: the commit runs in a
///   task of the writer's, never half-way.
package final class PostgresGroupCommit<Item: Sendable, Outcome: Sendable>: Sendable {
    /// Writes `items` (in order) inside the open transaction on `connection`, and returns one
    /// outcome per item, in the same order. Throwing rolls the whole transaction back.
    package typealias Batch = @Sendable (_ items: [Item], _ connection: PostgresConnection) async throws -> [Outcome]

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

    private let database: PostgresBackend
    private let state = Mutex(State())
    private let batch: Batch
    private let onBatch: @Sendable (Int, Double) -> Void
    /// The most items one transaction holds.
    package let maximumBatch: Int

    /// A writer into `database`; `onBatch` is told the size and duration (seconds) of each
    /// committed batch, not of the one-by-one retries after a failed one.
    package init(database: PostgresBackend, maximumBatch: Int, onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in },
                 batch: @escaping Batch) {
        precondition(maximumBatch >= 1, "a group commit batch holds at least one item")
        self.database = database
        self.maximumBatch = maximumBatch
        self.onBatch = onBatch
        self.batch = batch
    }

    /// Writes `item` with whatever else is waiting; returns its outcome once committed.
    package func submit(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let startsFlush = state.withLock { state in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if startsFlush { Task { await self.flush() } }
        }
    }

    /// Commits batches until nothing waits.
    private func flush() async {
        while let items = nextBatch() {
            await commit(items)
        }
    }

    private func nextBatch() -> [Waiting]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.flushing = false
                return nil
            }
            let count = min(maximumBatch, state.waiting.count)
            let items = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return items
        }
    }

    private func commit(_ items: [Waiting]) async {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let outcomes = try await run(items.map(\.item))
            let elapsed = clock.now - started
            onBatch(items.count, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            for (waiting, outcome) in zip(items, outcomes) { waiting.continuation.resume(returning: outcome) }
        } catch {
            // One item, or an unreachable database (alone, each item would only wait for the same
            // deadline again): every item fails with the batch's error.
            guard items.count > 1, !PostgresStorageError.isUnreachable(error) else {
                for waiting in items { waiting.continuation.resume(throwing: error) }
                return
            }
            for waiting in items {
                do {
                    let outcome = try await run([waiting.item])
                    waiting.continuation.resume(returning: outcome[0])
                } catch {
                    waiting.continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Commits `items` in one transaction. The writer never waits past the database's deadline
    /// (and a second): a transaction that has not ended by then is abandoned (cancelled, left to
    /// end on its own), its items fail as unreachable, and the next batch goes on. A transaction
    /// whose work ignores cancellation would otherwise hold every later request of the node.
    private func run(_ items: [Item]) async throws -> [Outcome] {
        let database = database, batch = batch
        let limit = database.operationDeadline + .seconds(1)
        let outcomes = try await abandoning(after: limit, expired: {
            PostgresStorageError(.unavailable, "the database \(database.settings) did not commit within \(limit)")
        }) {
            try await database.withTransaction { connection in try await batch(items, connection) }
        }
        precondition(outcomes.count == items.count, "a batch returns one outcome per item")
        return outcomes
    }
}
