import Foundation
import Keybound
import KeyboundStore
import Testing
import KeyboundTesting

/// The key lifecycle's invariants one at a time: the initial key is active at once and marked
/// initial; every other key signs only after being published for the lead time, unless the
/// activation is recorded as an emergency; keys and their public parts are never deleted.
@Suite("Key store: lifecycle invariants")
struct StoreLifecycleInvariantTests {
    static let t0 = StoreClock.origin
    static let lead = StoreIssuers.publishLeadTime

    @Test("The first key is active at once, recorded as initial, and is the signing key", arguments: StoreBackend.allCases, JWSAlgorithm.allCases)
    func initialKey(backend: StoreBackend, algorithm: JWSAlgorithm) async throws {
        let issuer = StoreIssuers.tenant(algorithm: algorithm)
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let applied = try await manager.createIssuer(issuer)
        #expect(applied == [.createInitialKey(issuerID: issuer.id), .createInitialKey(issuerID: issuer.id, purpose: .idToken)])
        let keys = try await manager.keys(issuerID: issuer.id).filter { $0.purpose == .accessToken }
        try #require(keys.count == 1)
        let key = keys[0]
        #expect(key.state == .active)
        #expect(key.isInitial)
        #expect(key.emergencyReason == nil)
        #expect(key.algorithm == algorithm)
        #expect(key.createdAt == Self.t0 && key.activatedAt == Self.t0)
        #expect(key.scheduledActivation == nil && key.deactivatedAt == nil && key.verifyUntil == nil)
        let signing = try await manager.signingKey(issuerID: issuer.id)
        #expect(signing.keyID == key.keyID)
        #expect(signing.issuer == issuer.url)
        let idKey = try await manager.activeKey(issuer.id, purpose: .idToken)
        await #expect(try manager.publishedKeyIDs(issuer.id) == [key.keyID, idKey.keyID])
        let events = try await manager.events()
        #expect(events.filter { $0.keyID == key.keyID }.map(\.kind) == [.created, .activated])
        #expect(events.filter { $0.keyID == idKey.keyID }.map(\.kind) == [.created, .activated])
        #expect(events.count == 4 && events.allSatisfy { $0.at == Self.t0 })
    }

    @Test("Several issuers each have exactly one active key of their own", arguments: StoreBackend.allCases)
    func oneActivePerIssuer(backend: StoreBackend) async throws {
        let issuers = [StoreIssuers.consumer("alpha"), StoreIssuers.consumer("beta", algorithm: .edDSA), StoreIssuers.tenant("gamma", algorithm: .es384)]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        for issuer in issuers {
            let active = try await manager.keys(issuer.id, in: .active)
            #expect(active.count == 1, "\(issuer.id)")
            #expect(active.first?.isInitial == true)
        }
        await #expect(try manager.keys().count == 3 * KeyPurpose.allCases.count, "an access-token and an ID-token key each")
    }

    @Test("A rotation on demand publishes a pending key that signs only after the lead time", arguments: StoreBackend.allCases)
    func rotationWaitsForLeadTime(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let first = try await manager.activeKey(issuer.id)
        let requested = Self.t0.addingTimeInterval(StoreClock.hour)

        try await manager.rotate(issuerID: issuer.id, purposes: [.accessToken], now: requested)
        let pending = try await #require(try manager.keys(issuer.id, in: .pending).first)
        #expect(pending.createdAt == requested)
        #expect(pending.scheduledActivation == requested.addingTimeInterval(Self.lead))
        let idKey = try await manager.activeKey(issuer.id, purpose: .idToken)
        await #expect(try manager.publishedKeyIDs(issuer.id) == [first.keyID, pending.keyID, idKey.keyID], "a pending key is published")

        try await manager.rotate(issuerID: issuer.id, purposes: [.accessToken], now: requested.addingTimeInterval(60))
        await #expect(try manager.keys(issuer.id, in: .pending).map(\.keyID) == [pending.keyID], "a second request adds no key")
        await #expect(try manager.keys(issuer.id, in: .pending).first?.scheduledActivation == requested.addingTimeInterval(Self.lead),
                "a second request does not shorten the lead time")

        let justBefore = requested.addingTimeInterval(Self.lead - 1)
        await #expect(try manager.tick(now: justBefore) == [])
        await #expect(try manager.signingKey(issuerID: issuer.id).keyID == first.keyID)

        let due = requested.addingTimeInterval(Self.lead)
        await #expect(try manager.tick(now: due) == [.activate(issuerID: issuer.id, keyID: pending.keyID, emergencyReason: nil)])
        let active = try await manager.activeKey(issuer.id)
        #expect(active.keyID == pending.keyID)
        #expect(active.activatedAt == due)
        #expect(active.emergencyReason == nil && !active.isInitial)
        #expect(try #require(active.activatedAt).timeIntervalSince(active.createdAt) >= Self.lead)
        await #expect(try manager.signingKey(issuerID: issuer.id).keyID == pending.keyID)

        let old = try await #require(try manager.keys(issuer.id, in: .verifyOnly).first)
        #expect(old.keyID == first.keyID)
        #expect(old.deactivatedAt == due)
        #expect(old.verifyUntil == RotationEngine.verifyUntil(deactivatedAt: due, issuer: issuer))
    }

    @Test("A key past the maximum age is replaced at once, and the skipped lead time is recorded as an emergency", arguments: StoreBackend.allCases)
    func maximumAgeEmergency(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let first = try await manager.activeKey(issuer.id)
        let late = Self.t0.addingTimeInterval(StoreIssuers.maximumKeyAge + StoreClock.minute)
        let applied = try await manager.tick(now: late)
        #expect(applied.count == KeyPurpose.allCases.count, "each purpose's key reached its maximum age")
        let active = try await manager.activeKey(issuer.id)
        #expect(active.keyID != first.keyID)
        #expect(active.activatedAt == late)
        #expect(!active.isInitial)
        let reason = try #require(active.emergencyReason, "an activation without the lead time must say why")
        #expect(reason.contains("maximum key age"))
        await #expect(try manager.keys(issuer.id, in: .verifyOnly).map(\.keyID) == [first.keyID])
    }

    @Test("Every activation waited out the lead time, or was initial, or carries an emergency reason", arguments: StoreBackend.allCases)
    func everyActivationAccountedFor(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        // Regular rotations, an on-demand rotation, a revocation and an outage past the maximum age.
        try await manager.tick(now: Self.t0.addingTimeInterval(2 * StoreClock.day))
        try await manager.tick(now: Self.t0.addingTimeInterval(2 * StoreClock.day + Self.lead))
        try await manager.rotate(issuerID: issuer.id, now: Self.t0.addingTimeInterval(2.5 * StoreClock.day))
        try await manager.tick(now: Self.t0.addingTimeInterval(2.5 * StoreClock.day + Self.lead))
        try await manager.revoke(issuerID: issuer.id, keyID: try manager.activeKey(issuer.id).keyID, reason: "drill", actor: "ops",
                           now: Self.t0.addingTimeInterval(3 * StoreClock.day))
        try await manager.tick(now: Self.t0.addingTimeInterval(20 * StoreClock.day))
        let keys = try await manager.keys(issuerID: issuer.id).filter { $0.purpose == .accessToken }
        #expect(keys.filter(\.isInitial).count == 1)
        #expect(keys.contains { $0.emergencyReason != nil }, "the scenario includes emergencies")
        for key in keys {
            guard let activatedAt = key.activatedAt else { continue }
            let waited = activatedAt.timeIntervalSince(key.createdAt) >= Self.lead
            #expect(key.isInitial || key.emergencyReason != nil || waited, "key \(key.keyID) signed after \(activatedAt.timeIntervalSince(key.createdAt)) s")
            if key.isInitial { #expect(activatedAt == issuer.createdAt) }
        }
    }

    @Test("The database itself refuses to delete a key or a key event", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")))
    func noDeletion() async throws {
        let fixture = try await StoreFixture(issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        for statement in ["DELETE FROM signing_key;", "DELETE FROM key_event;"] {
            let outcome = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [fixture.databaseFile.path, statement])
            #expect(outcome.status != 0, "\(statement) succeeded")
            #expect(outcome.stderr.contains("never deleted") || outcome.stderr.contains("append-only"), "\(outcome.stderr)")
        }
        let manager = try await fixture.open()
        // The initial access-token and ID-token keys, each created and activated.
        await #expect(try manager.keys().count == 2)
        await #expect(try manager.events().count == 4)
    }
}
