import Foundation
import Keybound
import KeyboundStore
import Testing

/// Concurrent ticks from several threads (each with its own SQLite connection) and several
/// `keybound keys tick` processes apply each transition exactly once and never leave two active
/// keys; the database's unique index refuses a second active key even when written directly.
@Suite("Key store: concurrent ticks")
struct StoreConcurrencyTests {
    static let t0 = StoreClock.origin

    /// Collects results from threads.
    final class StoreCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var transitions: [KeyTransition] = []
        private var errors: [String] = []
        func add(_ applied: [KeyTransition]) { lock.withLock { transitions += applied } }
        func fail(_ error: any Error) { lock.withLock { errors.append("\(error)") } }
        var results: ([KeyTransition], [String]) { lock.withLock { (transitions, errors) } }
    }

    /// Opens `count` store instances (each with its own connections, as another process or node
    /// would have), then runs `body(index, manager)` for each in concurrent tasks; returns when all
    /// are done. The stores open first, one by one: opening an SQLite store migrates it, which
    /// waits synchronously for the database lock, and must not do so on the concurrency pool while
    /// the other instances hold it. The transactions themselves then really contend on the
    /// database's lock: their statements run on each connection's own queue.
    static func onStores(_ fixture: StoreFixture, _ count: Int,
                         _ body: @escaping @Sendable (Int, KeyManager) async -> Void) async throws {
        var managers: [KeyManager] = []
        for _ in 0..<count { managers.append(try await fixture.open()) }
        await withTaskGroup(of: Void.self) { group in
            for (index, manager) in managers.enumerated() { group.addTask { await body(index, manager) } }
        }
    }

    static func expectOneActive(_ manager: KeyManager, _ issuers: [IssuerRecord]) async throws {
        for issuer in issuers {
            await #expect(try manager.keys(issuer.id, in: .active).count == 1, "\(issuer.id)")
            await #expect(try manager.keys(issuer.id, in: .pending).count <= 1, "\(issuer.id)")
        }
    }

    @Test("Stores ticking the same instant apply the due transition once", arguments: StoreBackend.allCases)
    func sameInstantThreads(backend: StoreBackend) async throws {
        let issuers = [StoreIssuers.consumer(), StoreIssuers.tenant()]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let rotation = Self.t0.addingTimeInterval(StoreIssuers.rotationPeriod)
        // The publication is due at the rotation time itself (nobody ticked earlier); then the activation.
        for (now, expectedKinds) in [(rotation, "publishNextKey"), (rotation.addingTimeInterval(StoreIssuers.publishLeadTime), "activate")] {
            let collector = StoreCollector()
            try await Self.onStores(fixture, 6) { _, manager in
                do {
                    collector.add(try await manager.tick(now: now))
                } catch {
                    collector.fail(error)
                }
            }
            let (applied, errors) = collector.results
            #expect(errors == [])
            // One per (issuer, purpose): both lifecycles started together, so they rotate together.
            #expect(applied.count == issuers.count * KeyPurpose.allCases.count, "\(applied)")
            #expect(applied.allSatisfy { "\($0)".hasPrefix(expectedKinds) }, "\(applied)")
            try await Self.expectOneActive(try await fixture.open(), issuers)
        }
    }

    @Test("Stores walking the same schedule concurrently apply every transition exactly once", arguments: StoreBackend.allCases)
    func walkingThreads(backend: StoreBackend) async throws {
        let issuers = [StoreIssuers.consumer(), StoreIssuers.tenant(algorithm: .edDSA)]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let collector = StoreCollector()
        try await Self.onStores(fixture, 4) { _, manager in
            do {
                var clock = StoreClock()
                while clock.now < StoreClock.at(5 * StoreClock.day) {
                    clock.advance(StoreClock.hour)
                    collector.add(try await manager.tick(now: clock.now))
                    for issuer in issuers {
                        let active = try await manager.keys(issuer.id, in: .active).count
                        if active != 1 { collector.fail(StoreError(.invariantViolated, "\(issuer.id) had \(active) active keys at \(clock.now)")) }
                    }
                }
            } catch {
                collector.fail(error)
            }
        }
        let (applied, errors) = collector.results
        #expect(errors == [])
        // Per (issuer, purpose), two rotations (publish, activate) and two retirements.
        #expect(applied.count == issuers.count * KeyPurpose.allCases.count * 6, "\(applied)")
        let manager = try await fixture.open()
        try await Self.expectOneActive(manager, issuers)
        await #expect(try manager.keys().count == issuers.count * KeyPurpose.allCases.count * 3)
        await #expect(RotationEngine.plan(now: StoreClock.at(5 * StoreClock.day), issuers: try manager.issuers(), keys: try manager.keys()) == [])
    }

    @Test("Revocation racing ticks still leaves exactly one active key", arguments: StoreBackend.allCases)
    func revokeRacingTicks(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let rotation = Self.t0.addingTimeInterval(issuer.rotationPeriod)
        try await fixture.open().tick(now: rotation.addingTimeInterval(-issuer.publishLeadTime))
        let victim = try await fixture.open().activeKey(issuer.id).keyID
        let collector = StoreCollector()
        try await Self.onStores(fixture, 5) { index, manager in
            do {
                if index == 0 {
                    try await manager.revoke(issuerID: issuer.id, keyID: victim, reason: "race", actor: "ops", now: rotation)
                } else {
                    collector.add(try await manager.tick(now: rotation))
                }
            } catch {
                collector.fail(error)
            }
        }
        #expect(collector.results.1 == [])
        let manager = try await fixture.open()
        try await Self.expectOneActive(manager, [issuer])
        await #expect(try manager.keys(issuerID: issuer.id).first { $0.keyID == victim }?.state == .revoked)
    }

    @Test("Several keybound processes ticking at once apply each transition once")
    func processes() async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(issuers: [issuer])
        defer { fixture.remove() }
        let kekFile = try StoreCLI.writeKEKFile(fixture.kek.base64Text, near: fixture.directory)
        defer { try? FileManager.default.removeItem(atPath: kekFile) }
        let rotation = Self.t0.addingTimeInterval(issuer.rotationPeriod)
        for (now, kind) in [(rotation.addingTimeInterval(-issuer.publishLeadTime), "publish"), (rotation, "activate")] {
            let started = try (0..<4).map { _ in
                try StoreCLI.start(["keys", "tick", "--data", fixture.directory.path, "--now", "\(Int(now.timeIntervalSince1970))", "--json"],
                                   environment: ["KEYBOUND_KEK_FILE": kekFile])
            }
            var total = 0
            for running in started {
                let outcome = await StoreCLI.finish(running)
                #expect(outcome.status == 0, "\(outcome.stderr)")
                let json = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
                total += (json?["transitions"] as? [Any])?.count ?? -100
            }
            #expect(total == KeyPurpose.allCases.count, "\(kind): \(total) transitions applied across processes (one per key purpose)")
            try await Self.expectOneActive(try fixture.open(), [issuer])
        }
        await #expect(try fixture.open().activeKey(issuer.id).activatedAt == rotation)
    }

    @Test("The unique index refuses a second active key written directly to the store", arguments: StoreBackend.allCases)
    func uniqueIndex(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let active = try await manager.activeKey(issuer.id)
        let other = try SigningKey.generate(algorithm: .es256, issuer: issuer.url)
        var second = active
        second.keyID = other.keyID
        second.publicJWK = JSONWriter().string(.object(other.publicJWK.publicJSON))
        second.sealedPrivateKey = try await manager.sealer.seal(other, issuerID: issuer.id)
        second.isInitial = false

        let secondRow = second
        await #expect(throws: (any Error).self) { try await manager.store.write { try await $0.insert(secondRow) } }
        await #expect(try manager.keys(issuerID: issuer.id).filter { $0.purpose == .accessToken } == [active])

        // The same row, pending, is accepted: it is the second *active* key that is refused.
        second.state = .pending
        let pendingRow = second
        try await manager.store.write { try await $0.insert(pendingRow) }
        second.state = .active
        let activeRow = second
        await #expect(throws: (any Error).self) { try await manager.store.write { try await $0.update(activeRow) } }
        await #expect(try manager.keys(issuer.id, in: .active) == [active])
    }
}
