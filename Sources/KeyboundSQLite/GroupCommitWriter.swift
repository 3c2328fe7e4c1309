import Dispatch
import Foundation
import GRDB
import Synchronization

/// Group commit: items submitted concurrently are written together in one `BEGIN IMMEDIATE`
/// transaction, so a burst costs one durable (`fsync`-bounded) commit, not one each. The issuance
/// ledger and the audit log both write through one of these.
///
/// - A lone item is committed at once. When the last batch had company (more submitters are
///   active), the writer first waits up to ``coalescingDelayMicroseconds`` for more, unless
///   ``maximumBatch`` items are already waiting.
/// - Items are committed in the order they were submitted; a batch holds at most ``maximumBatch``.
/// - ``submit(_:)`` returns once its item's transaction has committed, with the outcome the batch
///   closure gave for that item.
/// - When a batch's transaction fails, it is rolled back and every item of it is retried alone in
///   its own transaction, so one bad item fails only its own submitter.
///
/// Commits run on a dedicated serial dispatch queue, never on the submitter's thread: a submitter
/// suspends, it does not block a Swift concurrency thread.
package final class GroupCommitWriter<Item: Sendable, Outcome: Sendable>: Sendable {
    /// Writes `items` (in order) inside the open transaction and returns one outcome per item, in
    /// the same order. Throwing rolls the whole transaction back.
    package typealias Batch = @Sendable (_ items: [Item], _ db: Database) throws -> [Outcome]

    private struct Waiting {
        let item: Item
        let continuation: UnsafeContinuation<Outcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

    private let database: any DatabaseWriter
    private let state = Mutex(State())
    private let queue: DispatchQueue
    private let batch: Batch
    private let onBatch: @Sendable (Int, Double) -> Void
    private let pause: @Sendable (UInt32) -> Void
    /// The largest number of items committed in one transaction.
    package let maximumBatch: Int
    /// How long the writer waits for company before a commit when items arrive concurrently.
    package let coalescingDelayMicroseconds: UInt32

    /// A writer into `database` whose commits run on a serial queue named `label`.
    ///
    /// - Parameters:
    ///   - onBatch: told the size and duration (seconds) of each committed batch (for metrics);
    ///     not told of the one-by-one retries after a failed batch.
    ///   - pause: how the writer waits for company, given microseconds: `usleep`, on the writer's
    ///     queue (tests record the calls instead).
    ///   - batch: writes one batch; called once per transaction, on the writer's queue.
    package init(database: any DatabaseWriter, label: String, maximumBatch: Int, coalescingDelayMicroseconds: UInt32,
                 onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in },
                 pause: @escaping @Sendable (UInt32) -> Void = { usleep($0) }, batch: @escaping Batch) {
        precondition(maximumBatch >= 1, "a group commit batch holds at least one item")
        self.database = database
        self.queue = DispatchQueue(label: label)
        self.maximumBatch = maximumBatch
        self.coalescingDelayMicroseconds = coalescingDelayMicroseconds
        self.onBatch = onBatch
        self.pause = pause
        self.batch = batch
    }

    /// Submits `item`; returns its outcome once its transaction has committed, or throws the error
    /// that failed it (the batch closure's or the database's, unchanged).
    package func submit(_ item: Item) async throws -> Outcome {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Outcome, any Error>) in
            let startFlusher = state.withLock { state -> Bool in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if startFlusher { queue.async { self.flush() } }
        }
    }

    /// Items submitted and not yet taken into a transaction (for tests and diagnostics).
    package var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Whether the writer's queue is committing or waiting for company (for tests and diagnostics).
    package var isFlushing: Bool { state.withLock { $0.flushing } }

    private func flush() {
        var previousBatch = 0
        while true {
            // Under concurrency (the last batch had company), wait a moment for more items so one
            // commit and one disk flush cover more of them. A lone item never waits.
            if previousBatch > 1 && state.withLock({ $0.waiting.count }) < maximumBatch {
                pause(coalescingDelayMicroseconds)
            }
            let taken: [Waiting] = state.withLock { state in
                let taken = Array(state.waiting.prefix(maximumBatch))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.flushing = false }
                return taken
            }
            previousBatch = taken.count
            if taken.isEmpty { return }
            do {
                let started = DispatchTime.now().uptimeNanoseconds
                let outcomes = try commit(taken.map(\.item))
                onBatch(taken.count, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                for (waiting, outcome) in zip(taken, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                // One bad item must not fail its neighbours: retry them one by one.
                for waiting in taken {
                    do {
                        waiting.continuation.resume(returning: try commit([waiting.item])[0])
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// Runs the batch closure over `items` in one `BEGIN IMMEDIATE` transaction.
    private func commit(_ items: [Item]) throws -> [Outcome] {
        let outcomes = try database.writeImmediate { db in try batch(items, db) }
        precondition(outcomes.count == items.count, "a group commit batch must return one outcome per item")
        return outcomes
    }
}
