import Foundation
import Keybound
import KeyboundStore
import Testing

/// `KeyManager.status(now:)` and `keybound keys status`: healthy while the schedule is kept;
/// problems (and exit 1 with the reasons on stderr) when an active key is older than the maximum
/// key age, or a rotation, activation or retirement is overdue.
@Suite("Key store: monitoring")
struct StoreMonitoringTests {
    static let t0 = StoreClock.origin
    static let tolerance = KeyStatusReport.tolerance

    @Test("Healthy at every step while ticks keep the schedule", arguments: StoreBackend.allCases)
    func healthyWhileTicking(backend: StoreBackend) async throws {
        let issuers = [StoreIssuers.consumer(), StoreIssuers.tenant()]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        var clock = StoreClock()
        while clock.now <= StoreClock.at(7 * StoreClock.day) {
            try await manager.tick(now: clock.now)
            let report = try await manager.status(now: clock.now)
            #expect(report.isHealthy, "\(report.problems)")
            #expect(report.issuers.map(\.issuer.id) == issuers.map(\.id).sorted())
            #expect(report.issuers.allSatisfy { $0.nextTransition != nil })
            clock.advance(StoreClock.hour)
        }
    }

    @Test("Without ticks, a rotation becomes overdue one tolerance after the rotation period", arguments: StoreBackend.allCases)
    func rotationOverdue(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let threshold = Self.t0.addingTimeInterval(issuer.rotationPeriod + Self.tolerance)
        await #expect(try manager.status(now: threshold).isHealthy)
        let report = try await manager.status(now: threshold.addingTimeInterval(1))
        // One per key purpose: both lifecycles started together; the ID-token one names its purpose.
        #expect(report.problems.count == KeyPurpose.allCases.count)
        #expect(report.problems.last?.contains("(ID-token key): rotation overdue") == true, "\(report.problems)")
        let problem = try #require(report.problems.first)
        #expect(problem.contains("rotation overdue") && problem.contains(issuer.id))
        await #expect(problem.contains(try manager.activeKey(issuer.id).keyID))
    }

    @Test("An active key older than the maximum key age is reported", arguments: StoreBackend.allCases)
    func keyTooOld(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let limit = Self.t0.addingTimeInterval(issuer.maximumKeyAge)
        let report = try await manager.status(now: limit.addingTimeInterval(1))
        #expect(!report.isHealthy)
        #expect(report.problems.contains { $0.contains("maximum key age") && $0.contains(issuer.id) }, "\(report.problems)")
        try await manager.tick(now: limit.addingTimeInterval(1))
        await #expect(try manager.status(now: limit.addingTimeInterval(1)).isHealthy, "a tick repairs it")
    }

    @Test("An overdue activation and an overdue retirement are reported", arguments: StoreBackend.allCases)
    func overdueTransitions(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let rotation = Self.t0.addingTimeInterval(issuer.rotationPeriod)
        try await manager.tick(now: rotation.addingTimeInterval(-issuer.publishLeadTime))
        let pending = try await #require(try manager.keys(issuer.id, in: .pending).first)
        await #expect(try manager.status(now: rotation.addingTimeInterval(Self.tolerance)).isHealthy)
        let late = try await manager.status(now: rotation.addingTimeInterval(Self.tolerance + 1))
        #expect(late.problems.contains { $0.contains("activation of pending key '\(pending.keyID)'") }, "\(late.problems)")

        try await manager.tick(now: rotation)
        let old = try await #require(try manager.keys(issuer.id, in: .verifyOnly).first)
        let until = try #require(old.verifyUntil)
        await #expect(try manager.status(now: until.addingTimeInterval(Self.tolerance)).isHealthy)
        let stale = try await manager.status(now: until.addingTimeInterval(Self.tolerance + 1))
        #expect(stale.problems.contains { $0.contains("retirement of verify-only key '\(old.keyID)'") }, "\(stale.problems)")
    }

    @Test("keybound keys status exits 0 when healthy and 1 with the reasons on stderr")
    func command() async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(issuers: [issuer])
        defer { fixture.remove() }
        let kekFile = try StoreCLI.writeKEKFile(fixture.kek.base64Text, near: fixture.directory)
        defer { try? FileManager.default.removeItem(atPath: kekFile) }
        func status(at offset: TimeInterval, json: Bool = false) async throws -> StoreCLI.Outcome {
            try await StoreCLI.run(["keys", "status", "--data", fixture.directory.path, "--now", "\(Int(StoreClock.at(offset).timeIntervalSince1970))"] + (json ? ["--json"] : []),
                             environment: ["KEYBOUND_KEK_FILE": kekFile])
        }
        let healthy = try await status(at: StoreClock.hour)
        #expect(healthy.status == 0, "\(healthy.stderr)")
        #expect(healthy.stdout.contains(issuer.id))
        #expect(healthy.stderr.isEmpty)

        let overdue = try await status(at: issuer.rotationPeriod + Self.tolerance + 60)
        #expect(overdue.status == 1)
        #expect(overdue.stderr.contains("rotation overdue"), "\(overdue.stderr)")

        let tooOld = try await status(at: issuer.maximumKeyAge + 60, json: true)
        #expect(tooOld.status == 1)
        #expect(tooOld.stderr.contains("maximum key age"), "\(tooOld.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(tooOld.stdout.utf8)) as? [String: Any]
        #expect(json?["healthy"] as? Bool == false)
        #expect((json?["problems"] as? [String])?.isEmpty == false)
    }
}
