import Foundation
import GRDB
import KeyboundSQLite
import Testing

@Suite("SQLite core: the group-commit writer")
struct GroupCommitWriterTests {
    /// Submits `values` from concurrent tasks; returns each task's value and what `submit` gave it.
    private static func submitConcurrently(_ values: [Int], to fixture: GroupCommitFixture)
        -> Task<[(value: Int, result: Result<Int64, any Error>)], Never> {
        let writer = fixture.writer
        return Task {
            await withTaskGroup(of: (value: Int, result: Result<Int64, any Error>).self) { group in
                for value in values {
                    group.addTask {
                        do { return (value, .success(try await writer.submit(.init(value: value)))) } catch { return (value, .failure(error)) }
                    }
                }
                var all: [(value: Int, result: Result<Int64, any Error>)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
        }
    }

    @Test("100 items submitted while a transaction is open commit in one transaction, each submitter getting its own outcome")
    func concurrentItemsShareOneTransaction() async throws {
        let fixture = try GroupCommitFixture()
        defer { fixture.cleanUp() }
        let held = try await fixture.holdFirstTransaction(value: 0)
        let values = Array(1...100)
        let submissions = Self.submitConcurrently(values, to: fixture)
        try await fixture.waitUntil("100 items waiting") { fixture.writer.waitingCount == 100 }
        fixture.release()

        #expect(try await held.value == 0)
        let outcomes = await submissions.value
        #expect(outcomes.count == 100)
        for (value, result) in outcomes {
            // The outcome is the row id the batch closure inserted for this very item.
            #expect(try result.get() == Int64(value))
        }
        #expect(fixture.transactionSizes == [1, 100])
        #expect(fixture.reportedBatchSizes == [1, 100])
        #expect(try fixture.storedValues() == Array(0...100))
        // Only after the batch that had company did the writer wait for more.
        try await fixture.waitUntilIdle()
        #expect(fixture.pauses == [1_000])
    }

    @Test("A batch never holds more than maximumBatch items")
    func batchesAreCapped() async throws {
        let fixture = try GroupCommitFixture(maximumBatch: 16)
        defer { fixture.cleanUp() }
        let held = try await fixture.holdFirstTransaction(value: 0)
        let submissions = Self.submitConcurrently(Array(1...100), to: fixture)
        try await fixture.waitUntil("100 items waiting") { fixture.writer.waitingCount == 100 }
        fixture.release()

        _ = try await held.value
        for (value, result) in await submissions.value { #expect(try result.get() == Int64(value)) }
        #expect(fixture.transactionSizes == [1, 16, 16, 16, 16, 16, 16, 4])
        #expect(try fixture.storedValues() == Array(0...100))
        // With a full batch already waiting the writer does not wait; with 4 waiting it does, and
        // once more after that batch of 4 before it finds nothing and stops.
        try await fixture.waitUntilIdle()
        #expect(fixture.pauses == [1_000, 1_000])
    }

    @Test("One bad item fails only its own submitter; its neighbours are retried alone and commit; the next batch works")
    func badItemFailsOnlyItsSubmitter() async throws {
        let fixture = try GroupCommitFixture()
        defer { fixture.cleanUp() }
        let held = try await fixture.holdFirstTransaction(value: 0)
        // -7 breaks the table's CHECK, so the batch holding it rolls back.
        let submissions = Self.submitConcurrently([1, 2, 3, -7, 4, 5], to: fixture)
        try await fixture.waitUntil("6 items waiting") { fixture.writer.waitingCount == 6 }
        fixture.release()

        #expect(try await held.value == 0)
        for (value, result) in await submissions.value {
            if value < 0 {
                #expect(throws: DatabaseError.self) { try result.get() }
                if case .failure(let error as DatabaseError) = result { #expect(error.resultCode == .SQLITE_CONSTRAINT) }
            } else {
                #expect(try result.get() == Int64(value))
            }
        }
        // The held one, the failed batch of 6, then each of the 6 alone.
        #expect(fixture.transactionSizes == [1, 6, 1, 1, 1, 1, 1, 1])
        // The failed batch left nothing behind: each good item is stored exactly once.
        #expect(try fixture.storedValues() == [0, 1, 2, 3, 4, 5])

        #expect(try await fixture.writer.submit(.init(value: 6)) == 6)
        #expect(try fixture.storedValues() == [0, 1, 2, 3, 4, 5, 6])
    }

    @Test("A failing batch fails exactly its submitters, and the next batch commits")
    func failingBatchFailsExactlyItsSubmitters() async throws {
        let fixture = try GroupCommitFixture()
        defer { fixture.cleanUp() }
        let held = try await fixture.holdFirstTransaction(value: 0)
        fixture.setFailing(true)
        let failed = Self.submitConcurrently([1, 2, 3, 4], to: fixture)
        try await fixture.waitUntil("4 items waiting") { fixture.writer.waitingCount == 4 }
        fixture.release()

        // The held transaction had passed the outage check: it commits.
        #expect(try await held.value == 0)
        for (_, result) in await failed.value {
            #expect(throws: GroupCommitFixture.Outage.self) { try result.get() }
        }
        #expect(try fixture.storedValues() == [0])

        fixture.setFailing(false)
        for (value, result) in await Self.submitConcurrently([5, 6, 7], to: fixture).value {
            #expect(try result.get() == Int64(value))
        }
        #expect(try fixture.storedValues() == [0, 5, 6, 7])
    }

    @Test("A lone item commits at once: the writer never waits the gather window (30 s here) for it")
    func loneItemIsNotDelayed() async throws {
        let fixture = try GroupCommitFixture(coalescingDelayMicroseconds: 30_000_000)
        defer { fixture.cleanUp() }
        for value in 1...3 {
            #expect(try await fixture.writer.submit(.init(value: value)) == Int64(value))
            try await fixture.waitUntilIdle()
        }
        // Every wait is recorded, so this holds however slowly a loaded machine runs the test.
        #expect(fixture.pauses == [])
        #expect(fixture.transactionSizes == [1, 1, 1])
    }

    /// Whether `queue` can start a write transaction now (it is rolled back at once); `false` on SQLITE_BUSY.
    private static func canBeginWrite(_ queue: DatabaseQueue) throws -> Bool {
        try queue.inDatabase { db in
            do {
                try db.execute(sql: "BEGIN IMMEDIATE")
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                return false
            }
            try db.execute(sql: "ROLLBACK")
            return true
        }
    }

    @Test("The batch runs inside BEGIN IMMEDIATE: another connection cannot start a write while it is open")
    func batchHoldsTheWriteLock() async throws {
        let fixture = try GroupCommitFixture()
        defer { fixture.cleanUp() }
        let held = try await fixture.holdFirstTransaction(value: 0)
        // The held batch has not written anything yet: only BEGIN IMMEDIATE holds the lock now.
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        let other = try DatabaseQueue(path: fixture.path, configuration: configuration)
        #expect(try Self.canBeginWrite(other) == false)
        fixture.release()
        #expect(try await held.value == 0)
        #expect(try Self.canBeginWrite(other) == true)
        try other.close()
    }

    @Test("The opener makes a WAL pool whose writer commits with synchronous = FULL")
    func openerSettings() throws {
        let fixture = try GroupCommitFixture()
        defer { fixture.cleanUp() }
        let (journal, writerSynchronous) = try fixture.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        let readerSynchronous = try fixture.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(journal == "wal")
        #expect(readerSynchronous == 2)
        // GRDB's pool runs its WAL set-up (`synchronous = NORMAL`) after `prepareDatabase`: the
        // opener sets FULL on the writer again, so every commit is flushed to disk (this failed,
        // 1 instead of 2, before it did).
        #expect(writerSynchronous == 2)
    }
}
