import Foundation
import Keybound
import KeyboundStore
import Testing

/// Revocation takes effect at once: the key leaves the JWKS, its record keeps time, reason and
/// actor forever, a revoked active key is replaced immediately by an emergency activation, and
/// every revocation is a `KeyEvent` with a monotonically increasing sequence number.
@Suite("Key store: revocation")
struct StoreRevocationTests {
    static let t0 = StoreClock.origin

    @Test("Revoking the active key activates a fresh key at once, recorded as an emergency", arguments: StoreBackend.allCases)
    func revokeActive(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let old = try await manager.activeKey(issuer.id)
        let before = try await #require(try manager.latestEvent()).sequence
        let now = Self.t0.addingTimeInterval(StoreClock.hour)

        let revoked = try await manager.revoke(issuerID: issuer.id, keyID: old.keyID, reason: "key material exposed", actor: "secops", now: now)
        #expect(revoked.state == .revoked)
        #expect(revoked.revokedAt == now && revoked.deactivatedAt == now)
        #expect(revoked.revocationReason == "key material exposed" && revoked.revokedBy == "secops")

        let active = try await manager.activeKey(issuer.id)
        #expect(active.keyID != old.keyID)
        #expect(active.activatedAt == now && active.createdAt == now)
        #expect(!active.isInitial)
        let emergency = try #require(active.emergencyReason)
        #expect(emergency.contains(old.keyID) && emergency.contains("key material exposed"))
        await #expect(try manager.signingKey(issuerID: issuer.id).keyID == active.keyID)
        let idKey = try await manager.activeKey(issuer.id, purpose: .idToken)
        await #expect(try manager.publishedKeyIDs(issuer.id) == [active.keyID, idKey.keyID], "a revoked key leaves the JWKS at once; the ID-token key stays")

        let events = try await manager.events(after: before)
        #expect(events.map(\.kind) == [.revoked, .created, .activated])
        let event = try #require(events.first)
        #expect(event.keyID == old.keyID && event.actor == "secops" && event.reason == "key material exposed" && event.at == now)
        #expect(events.dropFirst().allSatisfy { $0.keyID == active.keyID && $0.at == now })
    }

    @Test("Revoking the active key while a key is pending activates that key at once, as an emergency", arguments: StoreBackend.allCases)
    func revokeActiveWithPending(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let old = try await manager.activeKey(issuer.id)
        try await manager.tick(now: Self.t0.addingTimeInterval(issuer.rotationPeriod - issuer.publishLeadTime))
        let pending = try await #require(try manager.keys(issuer.id, in: .pending).first)
        let now = Self.t0.addingTimeInterval(issuer.rotationPeriod - StoreClock.hour)
        try await manager.revoke(issuerID: issuer.id, keyID: old.keyID, reason: "suspected leak", actor: "secops", now: now)
        let active = try await manager.activeKey(issuer.id)
        #expect(active.keyID == pending.keyID)
        #expect(active.activatedAt == now)
        #expect(active.emergencyReason?.contains("suspected leak") == true)
        await #expect(try manager.keys(issuerID: issuer.id).filter { $0.purpose == .accessToken }.count == 2, "no extra key was created")
    }

    @Test("Revoking a verify-only or pending key leaves the active key alone and keeps the lead time for the next one", arguments: StoreBackend.allCases)
    func revokeInactive(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let rotation = Self.t0.addingTimeInterval(issuer.rotationPeriod)
        try await manager.tick(now: rotation.addingTimeInterval(-issuer.publishLeadTime))
        try await manager.tick(now: rotation)
        let active = try await manager.activeKey(issuer.id)
        let verifyOnly = try await #require(try manager.keys(issuer.id, in: .verifyOnly).first)
        try await manager.revoke(issuerID: issuer.id, keyID: verifyOnly.keyID, reason: "cleanup", actor: "ops", now: rotation.addingTimeInterval(60))
        await #expect(try manager.activeKey(issuer.id) == active)
        await #expect(try !manager.publishedKeyIDs(issuer.id).contains(verifyOnly.keyID))

        let nextPublish = rotation.addingTimeInterval(issuer.rotationPeriod - issuer.publishLeadTime)
        try await manager.tick(now: nextPublish)
        let pending = try await #require(try manager.keys(issuer.id, in: .pending).first)
        let revokeAt = nextPublish.addingTimeInterval(StoreClock.hour)
        try await manager.revoke(issuerID: issuer.id, keyID: pending.keyID, reason: "bad hardware", actor: "ops", now: revokeAt)
        await #expect(try manager.activeKey(issuer.id) == active)
        let replacement = try await #require(try manager.keys(issuer.id, in: .pending).first, "the engine publishes a replacement")
        #expect(replacement.keyID != pending.keyID)
        let scheduled = try #require(replacement.scheduledActivation)
        #expect(scheduled.timeIntervalSince(replacement.createdAt) >= issuer.publishLeadTime)
    }

    @Test("A revocation is permanent and its record (time, reason, actor, public key) is kept forever", arguments: StoreBackend.allCases)
    func keptForever(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let key = try await manager.signingKey(issuerID: issuer.id)
        let original = try await manager.activeKey(issuer.id)
        let revokeAt = Self.t0.addingTimeInterval(StoreClock.hour)
        let token = try StoreTokens.sign(key, issuer, iat: revokeAt.addingTimeInterval(-60))
        try await manager.revoke(issuerID: issuer.id, keyID: key.keyID, reason: "incident 42", actor: "alice", now: revokeAt)
        let eventsAfterFirst = try await manager.events()

        let again = try await manager.revoke(issuerID: issuer.id, keyID: key.keyID, reason: "other reason", actor: "mallory", now: revokeAt.addingTimeInterval(60))
        #expect(again.revokedAt == revokeAt && again.revocationReason == "incident 42" && again.revokedBy == "alice")
        await #expect(try manager.events() == eventsAfterFirst, "revoking a revoked key records nothing")

        var clock = StoreClock(revokeAt)
        for _ in 0..<30 {
            clock.advance(StoreClock.day)
            try await manager.tick(now: clock.now)
        }
        let record = try await #require(try manager.keys(issuerID: issuer.id).first { $0.keyID == key.keyID })
        #expect(record.state == .revoked)
        #expect(record.revokedAt == revokeAt && record.revocationReason == "incident 42" && record.revokedBy == "alice")
        #expect(record.publicJWK == original.publicJWK)
        await #expect(try StoreTokens.verdict(manager, token, now: clock.now) == .rejected(.keyRevoked), "still known, still revoked")
        await #expect(try !manager.publishedKeyIDs(issuer.id).contains(key.keyID))
    }

    @Test("Key events have strictly increasing sequence numbers, and events(after:) resumes exactly", arguments: StoreBackend.allCases)
    func eventSequence(backend: StoreBackend) async throws {
        let issuers = [StoreIssuers.consumer("alpha"), StoreIssuers.tenant("beta")]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        var clock = StoreClock()
        var revocations: [(String, String)] = []
        for round in 0..<3 {
            for issuer in issuers {
                clock.advance(StoreClock.minute)
                let kid = try await manager.activeKey(issuer.id).keyID
                try await manager.revoke(issuerID: issuer.id, keyID: kid, reason: "round \(round)", actor: "drill", now: clock.now)
                revocations.append((issuer.id, kid))
            }
        }
        let events = try await manager.events()
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(Set(events.map(\.sequence)).count == events.count)
        let revoked = events.filter { $0.kind == .revoked }
        #expect(revoked.map { [$0.issuerID, $0.keyID] } == revocations.map { [$0.0, $0.1] })
        #expect(revoked.allSatisfy { $0.actor == "drill" && $0.reason.hasPrefix("round ") })
        #expect(zip(revoked, revoked.dropFirst()).allSatisfy { $0.at < $1.at })
        await #expect(try manager.latestEvent() == events.last)

        for cut in [0, 3, events.count / 2, events.count - 1, events.count] {
            let after = cut == 0 ? Int64(0) : events[cut - 1].sequence
            await #expect(try manager.events(after: after) == Array(events.dropFirst(cut)), "resume after \(after)")
        }
        await #expect(try manager.events(after: 0, limit: 2) == Array(events.prefix(2)))
        await #expect(try manager.events(after: try #require(events.last).sequence) == [])
    }

    @Test("Revocations that name nothing, or another issuer's key, or give no reason, change nothing", arguments: StoreBackend.allCases)
    func refusedRevocations(backend: StoreBackend) async throws {
        let issuers = [StoreIssuers.consumer("alpha"), StoreIssuers.consumer("beta")]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let alphaKey = try await manager.activeKey("alpha")
        let keysBefore = try await manager.keys()
        let eventsBefore = try await manager.events()
        let now = Self.t0.addingTimeInterval(60)

        let crossIssuer = try await #require(throws: StoreError.self) {
            try await manager.revoke(issuerID: "beta", keyID: alphaKey.keyID, reason: "wrong issuer", actor: "ops", now: now)
        }
        #expect(crossIssuer.code == .keyNotFound)
        let unknownKey = try await #require(throws: StoreError.self) {
            try await manager.revoke(issuerID: "alpha", keyID: "no-such-kid", reason: "typo", actor: "ops", now: now)
        }
        #expect(unknownKey.code == .keyNotFound)
        let unknownIssuer = try await #require(throws: StoreError.self) {
            try await manager.revoke(issuerID: "gamma", keyID: alphaKey.keyID, reason: "typo", actor: "ops", now: now)
        }
        #expect(unknownIssuer.code == .issuerNotFound)
        for reason in ["", "   ", "\t"] {
            await #expect(throws: StoreError.self, "reason \(reason.debugDescription)") {
                try await manager.revoke(issuerID: "alpha", keyID: alphaKey.keyID, reason: reason, actor: "ops", now: now)
            }
        }
        await #expect(try manager.keys() == keysBefore)
        await #expect(try manager.events() == eventsBefore)
    }

    @Test("A reason made only of line breaks is no reason", arguments: StoreBackend.allCases)
    func newlineReason(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let kid = try await manager.activeKey("consumers").keyID
        await #expect(throws: StoreError.self) {
            try await manager.revoke(issuerID: "consumers", keyID: kid, reason: "\n", actor: "ops", now: StoreClock.at(60))
        }
    }
}
