import Foundation
import KeyboundPostgres
import Logging
import PostgresNIO
import Synchronization
import Testing
import KeyboundTesting

/// A log that readers resume by sequence: rows are numbered in commit order across nodes.
@Suite("PostgreSQL commit-ordered logs", .timeLimit(.minutes(10)))
struct CommitOrderedLogTests {
    static let log = CommitOrderedLog(table: "test_event", lockKey: 0x4B42_7E57)
    static let logger = Logger(label: "keybound.tests.log")

    static func prepare(_ db: PostgresBackend) async throws {
        try await db.client.query("CREATE TABLE test_event (sequence bigint PRIMARY KEY, node text NOT NULL, item integer NOT NULL)")
    }

    /// Appends one row for `node` and returns its sequence.
    @discardableResult
    static func append(_ db: PostgresBackend, node: String, item: Int, holdFor hold: Duration = .zero) async throws -> Int64 {
        try await db.withTransaction { connection in
            let sequence = try await log.nextSequence(connection, logger: logger)
            try await connection.query("INSERT INTO test_event (sequence, node, item) VALUES (\(sequence), \(node), \(item))",
                                       logger: logger)
            if hold > .zero { try await Task.sleep(for: hold) }
            return sequence
        }
    }

    static func rows(after sequence: Int64, _ db: PostgresBackend) async throws -> [(Int64, String, Int)] {
        let rows = try await db.client.query(
            "SELECT sequence, node, item FROM test_event WHERE sequence > \(sequence) ORDER BY sequence LIMIT 50")
        var result: [(Int64, String, Int)] = []
        for try await row in rows.decode((Int64, String, Int).self) { result.append(row) }
        return result
    }

    @Test("an append that commits later takes a later number: a reader that resumed past it cannot miss it")
    func laterCommitLaterNumber() async throws {
        let database = try await TestPostgres.shared.makeDatabase("log_order")
        try await database.withRunning { nodeA in
            try await database.withRunning { nodeB in
                try await Self.prepare(nodeA)
                // A takes its number and holds its transaction open; B appends meanwhile.
                let first = Task { try await Self.append(nodeA, node: "a", item: 1, holdFor: .milliseconds(600)) }
                try await Task.sleep(for: .milliseconds(150))
                let second = try await Self.append(nodeB, node: "b", item: 1)
                let firstSequence = try await first.value
                // B waited for A's commit, so B's number is the larger one.
                #expect(firstSequence == 1 && second == 2)
                #expect(try await Self.rows(after: 0, nodeA).map(\.0) == [1, 2])
            }
        }
    }

    @Test("two nodes append concurrently while a reader resumes mid-way: no row is missed, no number skipped")
    func twoNodesAndAResumingReader() async throws {
        let database = try await TestPostgres.shared.makeDatabase("log_two_nodes")
        let perWriter = 60, writersPerNode = 4
        try await database.withRunning { nodeA in
            try await database.withRunning { nodeB in
                try await Self.prepare(nodeA)
                let done = FinishedWriters()
                let seen = try await withThrowingTaskGroup(of: [(Int64, String, Int)].self) { group in
                    for (node, name) in [(nodeA, "a"), (nodeB, "b")] {
                        for writer in 0..<writersPerNode {
                            group.addTask {
                                for item in 0..<perWriter { try await Self.append(node, node: name, item: writer * 1_000 + item) }
                                done.count.add(1, ordering: .sequentiallyConsistent)
                                return []
                            }
                        }
                    }
                    // The reader: resumes after the last sequence it saw, as a stream subscriber does.
                    group.addTask {
                        var seen: [(Int64, String, Int)] = [], last: Int64 = 0
                        while true {
                            let finished = done.count.load(ordering: .sequentiallyConsistent) == 2 * writersPerNode
                            let batch = try await Self.rows(after: last, nodeB)
                            seen += batch
                            last = batch.last?.0 ?? last
                            if finished && batch.isEmpty { return seen }
                            if batch.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                let total = 2 * writersPerNode * perWriter
                #expect(seen.count == total)
                #expect(seen.map(\.0) == (1...Int64(total)).map { $0 }, "numbers are 1…N, each once, read in order")
                let byNode = Dictionary(grouping: seen, by: \.1).mapValues(\.count)
                #expect(byNode == ["a": total / 2, "b": total / 2])
                #expect(Set(seen.map { "\($0.1)-\($0.2)" }).count == total)
            }
        }
    }

    @Test("a rolled-back append leaves no gap")
    func rollbackLeavesNoGap() async throws {
        let database = try await TestPostgres.shared.makeDatabase("log_rollback")
        try await database.withRunning { db in
            try await Self.prepare(db)
            try await Self.append(db, node: "a", item: 1)
            struct Abandon: Error {}
            await #expect(throws: Abandon.self) {
                try await db.withTransaction { connection in
                    let sequence = try await Self.log.nextSequence(connection, logger: Self.logger)
                    try await connection.query("INSERT INTO test_event (sequence, node, item) VALUES (\(sequence), 'a', 2)",
                                               logger: Self.logger)
                    throw Abandon()
                }
            }
            #expect(try await Self.append(db, node: "a", item: 3) == 2)
        }
    }
}

/// How many writers have finished (shared by the writers and the reader).
private final class FinishedWriters: Sendable {
    let count = Atomic<Int>(0)
}
