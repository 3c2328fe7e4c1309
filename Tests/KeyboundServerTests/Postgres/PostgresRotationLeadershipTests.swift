import Foundation
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
@testable import KeyboundStore
@testable import KeyboundPostgres
import Logging
import Synchronization
import Testing
import KeyboundTesting

/// One rotation engine across nodes: the lease holder ticks, renews at every tick (its heartbeat),
/// and another node takes over once the heartbeat lapses.
@Suite("PostgreSQL: the rotation engine's leadership", .timeLimit(.minutes(10)))
struct PostgresRotationLeadershipTests {
    @Test("the holder renews; another node is refused until the heartbeat lapses, then takes over; resigning frees it at once")
    func lease() async throws {
        let database = try await TestPostgres.shared.makeDatabase("rotation_lease")
        try await database.withRunning { db in
            try await KeyboundPostgresSchema.migrate(db)
            let leadership = PostgresRotationLeadership(database: db)
            #expect(try await leadership.claim(node: "a", lease: 1.5))
            #expect(try await leadership.claim(node: "b", lease: 1.5) == false)
            #expect(try await leadership.claim(node: "a", lease: 1.5), "the holder renews")
            let renewed = try #require(try await leadership.holder())
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await leadership.claim(node: "a", lease: 1.5))
            #expect(try #require(try await leadership.holder()).heartbeatAt > renewed.heartbeatAt, "each claim is a heartbeat")
            // "a" hangs: no heartbeat for longer than the lease.
            try await Task.sleep(for: .milliseconds(1_700))
            #expect(try await leadership.claim(node: "b", lease: 1.5), "b takes over a lapsed lease")
            #expect(try await leadership.claim(node: "a", lease: 1.5) == false, "a woken up is no longer the leader")
            await leadership.resign(node: "b")
            #expect(try await leadership.claim(node: "a", lease: 60), "after a resignation the next claim wins at once")
        }
    }

    @Test("of two nodes claiming at once, exactly one leads")
    func oneLeader() async throws {
        let database = try await TestPostgres.shared.makeDatabase("rotation_race")
        try await database.withRunning { first in
            try await KeyboundPostgresSchema.migrate(first)
            try await database.withRunning { second in
                for round in 0..<10 {
                    let nodes = [(first, "a\(round)"), (second, "b\(round)")]
                    let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                        for (db, node) in nodes {
                            group.addTask { try await PostgresRotationLeadership(database: db).claim(node: node, lease: 60) }
                        }
                        return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                    }
                    #expect(winners == 1, "round \(round)")
                    await PostgresRotationLeadership(database: first).resign(node: "a\(round)")
                    await PostgresRotationLeadership(database: first).resign(node: "b\(round)")
                }
            }
        }
    }
}

/// With the gauge tests, serialised: the leader gauge is one per process.
extension RotationServiceTests {
    /// A leadership that some other node holds.
    struct HeldElsewhere: RotationLeadership {
        func claim(node: String, lease: TimeInterval) async throws(StoreError) -> Bool { false }
        func resign(node: String) async {}
    }

    @Test("a node that does not lead does not tick, but still judges the keys and reports the rotation overdue")
    func followerJudges() async throws {
        let fixture = try await StoreFixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let manager = try await fixture.open()
        let issuerID = "lead-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await manager.createIssuer(StoreIssuers.consumer(issuerID))
        let clock = Mutex(StoreClock.origin.addingTimeInterval(StoreIssuers.rotationPeriod + 2 * StoreClock.hour))
        let alerts = AlertCenter(repeatWindow: 0, now: { clock.withLock { $0 } })
        let follower = RotationService(manager: manager, interval: .seconds(60), logger: Logger(label: "test.rotation"), alerts: alerts,
                                       leadership: HeldElsewhere(), node: "follower", now: { clock.withLock { $0 } })
        let before = try await manager.keys(issuerID: issuerID)
        let unhealthy = await follower.tickOnce(previouslyUnhealthy: [])
        #expect(try await manager.keys(issuerID: issuerID) == before, "the follower applied nothing")
        #expect(unhealthy == [issuerID], "the overdue rotation is seen on every node")
        #expect(alerts.alerts().first?.code == "rotation_overdue")
        // (The leader gauge is one per process, and in-process servers of other suites tick too:
        // its 0 on a follower is not asserted here.)

        let leader = RotationService(manager: manager, interval: .seconds(60), logger: Logger(label: "test.rotation"),
                                     leadership: SingleNodeLeadership(), node: "leader", now: { clock.withLock { $0 } })
        _ = await leader.tickOnce(previouslyUnhealthy: [])
        #expect(try await manager.keys(issuerID: issuerID) != before, "the leader rotates")
        #expect(RotationServiceTests.gauge(RotationMetrics.leaderName, "") == 1)
    }
}
