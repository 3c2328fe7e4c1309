import Foundation
import Keybound
import KeyboundStore
import Testing

/// The engine is idempotent: after any change (tick, creation, rotation, revocation) planning again
/// at the same time yields nothing, and a second tick at the same time applies nothing and changes
/// no row and no event.
@Suite("Key store: idempotent ticks")
struct StoreTickIdempotenceTests {
    static let t0 = StoreClock.origin

    /// Applies, then checks that nothing more is due at `now` and that a second tick is a no-op.
    static func expectSettled(_ manager: KeyManager, at now: Date, _ context: String) async throws {
        let plan = RotationEngine.plan(now: now, issuers: try await manager.issuers(), keys: try await manager.keys())
        #expect(plan == [], "\(context): plan after apply at \(now) is \(plan)")
        let keysBefore = try await manager.keys()
        let lastEvent = try await manager.latestEvent()
        await #expect(try manager.tick(now: now) == [], "\(context): second tick applied something")
        await #expect(try manager.keys() == keysBefore, "\(context): second tick changed a key")
        await #expect(try manager.latestEvent() == lastEvent, "\(context): second tick recorded an event")
    }

    @Test("Ticking twice at every step of three rotations applies nothing the second time", arguments: StoreBackend.allCases)
    func tickTwice(backend: StoreBackend) async throws {
        let issuers = [StoreIssuers.consumer(), StoreIssuers.tenant()]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        try await Self.expectSettled(manager, at: Self.t0, "after creation")
        var clock = StoreClock()
        var applied: [KeyTransition] = []
        while clock.now < Self.t0.addingTimeInterval(7 * StoreClock.day) {
            clock.advance(StoreClock.hour)
            applied += try await manager.tick(now: clock.now)
            try await Self.expectSettled(manager, at: clock.now, "tick")
        }
        // Per (issuer, purpose): three rotations (publish, activate) and three retirements.
        #expect(applied.count == 2 * KeyPurpose.allCases.count * 9, "\(applied)")
    }

    @Test("Rotation and revocation leave nothing due at their own time", arguments: StoreBackend.allCases)
    func settledAfterCommands(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let rotateAt = Self.t0.addingTimeInterval(StoreClock.day)
        try await manager.rotate(issuerID: issuer.id, now: rotateAt)
        try await Self.expectSettled(manager, at: rotateAt, "after rotate")
        let revokeAt = rotateAt.addingTimeInterval(StoreClock.hour)
        try await manager.revoke(issuerID: issuer.id, keyID: try manager.activeKey(issuer.id).keyID, reason: "drill", actor: "ops", now: revokeAt)
        try await Self.expectSettled(manager, at: revokeAt, "after revoke")
    }

    @Test("One tick after a long outage catches up in full and is then idempotent", arguments: StoreBackend.allCases)
    func outage(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let later = Self.t0.addingTimeInterval(40 * StoreClock.day)
        await #expect(try !manager.tick(now: later).isEmpty)
        try await Self.expectSettled(manager, at: later, "after the outage")
        await #expect(try manager.keys(issuer.id, in: .active).count == 1)
        await #expect(try manager.activeKey(issuer.id).activatedAt == later)
    }
}
