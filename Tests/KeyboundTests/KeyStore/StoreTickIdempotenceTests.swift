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
    static func expectSettled(_ manager: KeyManager, at now: Date, _ context: String) throws {
        let plan = RotationEngine.plan(now: now, issuers: try manager.issuers(), keys: try manager.keys())
        #expect(plan == [], "\(context): plan after apply at \(now) is \(plan)")
        let keysBefore = try manager.keys()
        let lastEvent = try manager.latestEvent()
        #expect(try manager.tick(now: now) == [], "\(context): second tick applied something")
        #expect(try manager.keys() == keysBefore, "\(context): second tick changed a key")
        #expect(try manager.latestEvent() == lastEvent, "\(context): second tick recorded an event")
    }

    @Test("Ticking twice at every step of three rotations applies nothing the second time")
    func tickTwice() throws {
        let issuers = [StoreIssuers.consumer(), StoreIssuers.tenant()]
        let fixture = try StoreFixture(issuers: issuers)
        defer { fixture.remove() }
        let manager = try fixture.open()
        try Self.expectSettled(manager, at: Self.t0, "after creation")
        var clock = StoreClock()
        var applied: [KeyTransition] = []
        while clock.now < Self.t0.addingTimeInterval(7 * StoreClock.day) {
            clock.advance(StoreClock.hour)
            applied += try manager.tick(now: clock.now)
            try Self.expectSettled(manager, at: clock.now, "tick")
        }
        // Per (issuer, purpose): three rotations (publish, activate) and three retirements.
        #expect(applied.count == 2 * KeyPurpose.allCases.count * 9, "\(applied)")
    }

    @Test("Rotation and revocation leave nothing due at their own time")
    func settledAfterCommands() throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try StoreFixture(issuers: [issuer])
        defer { fixture.remove() }
        let manager = try fixture.open()
        let rotateAt = Self.t0.addingTimeInterval(StoreClock.day)
        try manager.rotate(issuerID: issuer.id, now: rotateAt)
        try Self.expectSettled(manager, at: rotateAt, "after rotate")
        let revokeAt = rotateAt.addingTimeInterval(StoreClock.hour)
        try manager.revoke(issuerID: issuer.id, keyID: try manager.activeKey(issuer.id).keyID, reason: "drill", actor: "ops", now: revokeAt)
        try Self.expectSettled(manager, at: revokeAt, "after revoke")
    }

    @Test("One tick after a long outage catches up in full and is then idempotent")
    func outage() throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try StoreFixture(issuers: [issuer])
        defer { fixture.remove() }
        let manager = try fixture.open()
        let later = Self.t0.addingTimeInterval(40 * StoreClock.day)
        #expect(try !manager.tick(now: later).isEmpty)
        try Self.expectSettled(manager, at: later, "after the outage")
        #expect(try manager.keys(issuer.id, in: .active).count == 1)
        #expect(try manager.activeKey(issuer.id).activatedAt == later)
    }
}
