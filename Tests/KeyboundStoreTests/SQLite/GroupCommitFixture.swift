import Dispatch
import Foundation
import GRDB
import KeyboundSQLite
import Synchronization

/// A `GroupCommitWriter` over a scratch SQLite file with one table, `item(value)`, whose CHECK
/// refuses negative values (an item that fails its transaction), and a gate that holds the first
/// batch open so the tests decide exactly what is waiting when it commits.
final class GroupCommitFixture: Sendable {
    struct Item: Sendable {
        var value: Int
        /// The batch holding this item waits in its transaction until ``release()``.
        var holdsTransaction = false
    }

    struct Outage: Error {}

    let directory: URL
    let path: String
    let pool: DatabasePool
    let writer: GroupCommitWriter<Item, Int64>
    private let recorder = Recorder()

    /// What the batch closure saw and what steers it, shared with the closure by reference.
    private final class Recorder: Sendable {
        /// The size of every transaction the batch closure ran (batches and one-by-one retries).
        let transactions = Mutex<[Int]>([])
        /// The sizes the writer reported through `onBatch` (committed batches only).
        let reportedBatches = Mutex<[Int]>([])
        /// While set, every transaction fails with ``Outage``.
        let failing = Mutex(false)
        /// Set while the batch closure holds a transaction open at the gate.
        let holding = Mutex(false)
        /// Every wait for company the writer made (microseconds asked for).
        let pauses = Mutex<[UInt32]>([])
        let gate = DispatchSemaphore(value: 0)
    }

    /// The size of every transaction the batch closure ran (batches and one-by-one retries).
    var transactionSizes: [Int] { recorder.transactions.withLock { $0 } }
    /// The sizes the writer reported through `onBatch` (committed batches only).
    var reportedBatchSizes: [Int] { recorder.reportedBatches.withLock { $0 } }
    /// Every wait for company the writer made (it sleeps for real too, after recording it).
    var pauses: [UInt32] { recorder.pauses.withLock { $0 } }
    /// While `true`, every transaction fails with ``Outage`` (checked before the gate).
    func setFailing(_ failing: Bool) { recorder.failing.withLock { $0 = failing } }

    init(maximumBatch: Int = 512, coalescingDelayMicroseconds: UInt32 = 1_000) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-group-commit-\(UUID().uuidString)")
        try SQLiteDatabase.createDataDirectory(directory)
        path = directory.appendingPathComponent("items.sqlite").path
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "CREATE TABLE item (value INTEGER PRIMARY KEY, CHECK (value >= 0))")
        }
        pool = try SQLiteDatabase.openPool(path: path, migrator: migrator)
        let recorder = recorder
        writer = GroupCommitWriter(database: pool, label: "keybound.test.group-commit", maximumBatch: maximumBatch,
                                   coalescingDelayMicroseconds: coalescingDelayMicroseconds,
                                   onBatch: { size, _ in recorder.reportedBatches.withLock { $0.append(size) } },
                                   pause: { microseconds in
                                       recorder.pauses.withLock { $0.append(microseconds) }
                                       usleep(microseconds)
                                   }) { items, db in
            recorder.transactions.withLock { $0.append(items.count) }
            if recorder.failing.withLock({ $0 }) { throw Outage() }
            if items.contains(where: \.holdsTransaction) {
                recorder.holding.withLock { $0 = true }
                recorder.gate.wait()
                recorder.holding.withLock { $0 = false }
            }
            return try items.map { item in
                try db.execute(sql: "INSERT INTO item (value) VALUES (?)", arguments: [item.value])
                return db.lastInsertedRowID
            }
        }
    }

    /// Submits an item that holds its transaction open, and returns once the batch closure holds it.
    func holdFirstTransaction(value: Int = 0) async throws -> Task<Int64, any Error> {
        let writer = writer
        let task = Task { try await writer.submit(Item(value: value, holdsTransaction: true)) }
        try await waitUntil("the first transaction to reach the gate") { self.recorder.holding.withLock { $0 } }
        return task
    }

    /// Waits until the writer's queue has nothing left to do.
    func waitUntilIdle() async throws {
        try await waitUntil("the writer to go idle") { !self.writer.isFlushing }
    }

    /// Lets the held transaction go on.
    func release() { recorder.gate.signal() }

    /// Waits (suspending, never blocking) until `condition` holds; fails after a generous deadline
    /// (the whole suite runs in parallel on 2 shared cores: tasks can wait a long time for a thread).
    func waitUntil(_ what: String, _ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(180)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw FixtureTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    struct FixtureTimeout: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }

    /// The values stored, in ascending order.
    func storedValues() throws -> [Int] {
        try pool.read { db in try Int.fetchAll(db, sql: "SELECT value FROM item ORDER BY value") }
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}
