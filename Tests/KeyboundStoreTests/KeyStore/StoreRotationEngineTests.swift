import Foundation
import Keybound
import KeyboundStore
import Testing

/// `RotationEngine.plan` as the pure function it is: hand-built issuers and key rows in, the
/// transitions due at `now` out, at and around every boundary of the schedule.
@Suite("Key store: rotation engine (pure plan)")
struct StoreRotationEngineTests {
    static let issuer = StoreIssuers.consumer()
    static let t0 = StoreClock.origin
    static let lead = StoreIssuers.publishLeadTime
    static let period = StoreIssuers.rotationPeriod

    static func key(_ kid: String, _ state: KeyState, created: Date = t0, activated: Date? = nil, deactivated: Date? = nil,
                    verifyUntil: Date? = nil, scheduled: Date? = nil, issuerID: String = issuer.id) -> KeyRecord {
        KeyRecord(issuerID: issuerID, keyID: kid, algorithm: .es256, state: state, publicJWK: "{}", sealedPrivateKey: [],
                  kekFingerprint: "test", createdAt: created, scheduledActivation: scheduled, activatedAt: activated,
                  deactivatedAt: deactivated, verifyUntil: verifyUntil)
    }

    /// The access-token lifecycle's transitions (the keys built here are access-token keys; the
    /// ID-token lifecycle runs the same rules on its own keys, see ``StoreKeyPurposeTests``).
    static func plan(_ now: Date, _ keys: [KeyRecord], issuers: [IssuerRecord] = [issuer]) -> [KeyTransition] {
        RotationEngine.plan(now: now, issuers: issuers, keys: keys).filter { $0.purpose == .accessToken }
    }

    static let active = key("k1", .active, activated: t0)

    @Test("An issuer with no key gets its initial key; issuers are planned in id order")
    func initialKey() {
        #expect(Self.plan(Self.t0, []) == [.createInitialKey(issuerID: "consumers")])
        let issuers = [StoreIssuers.consumer("zeta"), StoreIssuers.consumer("alpha")]
        #expect(Self.plan(Self.t0, [], issuers: issuers) == [.createInitialKey(issuerID: "alpha"), .createInitialKey(issuerID: "zeta")])
        #expect(Self.plan(Self.t0, [], issuers: []) == [])
    }

    @Test("The next key is published exactly one lead time before the rotation is due, to sign at the due time")
    func publishAtLeadTime() {
        let publishAt = Self.t0.addingTimeInterval(Self.period - Self.lead)
        #expect(Self.plan(publishAt.addingTimeInterval(-1), [Self.active]) == [])
        #expect(Self.plan(publishAt, [Self.active]) == [.publishNextKey(issuerID: "consumers", activateAt: Self.t0.addingTimeInterval(Self.period))])
    }

    @Test("A late publication never shortens the lead time")
    func latePublication() {
        let late = Self.t0.addingTimeInterval(Self.period + StoreClock.hour)
        #expect(Self.plan(late, [Self.active]) == [.publishNextKey(issuerID: "consumers", activateAt: late.addingTimeInterval(Self.lead))])
    }

    @Test("A pending key becomes active at its scheduled activation, not a second before")
    func scheduledActivation() {
        let due = Self.t0.addingTimeInterval(Self.period)
        let pending = Self.key("k2", .pending, created: due.addingTimeInterval(-Self.lead), scheduled: due)
        #expect(Self.plan(due.addingTimeInterval(-1), [Self.active, pending]) == [])
        #expect(Self.plan(due, [Self.active, pending]) == [.activate(issuerID: "consumers", keyID: "k2", emergencyReason: nil)])
    }

    @Test("A verify-only key is retired at verifyUntil, not a second before")
    func retirement() {
        let stopped = Self.t0.addingTimeInterval(Self.period)
        let until = RotationEngine.verifyUntil(deactivatedAt: stopped, issuer: Self.issuer)
        let old = Self.key("k1", .verifyOnly, activated: Self.t0, deactivated: stopped, verifyUntil: until)
        let current = Self.key("k2", .active, created: stopped.addingTimeInterval(-Self.lead), activated: stopped)
        #expect(Self.plan(until.addingTimeInterval(-1), [old, current]) == [])
        #expect(Self.plan(until, [old, current]) == [.retire(issuerID: "consumers", keyID: "k1")])
    }

    @Test("verifyUntil is the last signing time + maximum token lifetime + the largest verifier skew")
    func verifyUntilFormula() {
        let stopped = Self.t0.addingTimeInterval(12_345)
        #expect(RotationEngine.verifyUntil(deactivatedAt: stopped, issuer: Self.issuer)
                == stopped.addingTimeInterval(StoreIssuers.maximumTokenLifetime + 300))
        #expect(RotationEngine.verificationSkew == VerificationPolicy.maximumClockSkew)
    }

    @Test("No usable active key: a pending key is activated, or a fresh one created, as an emergency")
    func noActiveKey() {
        let revoked = Self.key("k1", .revoked, activated: Self.t0, deactivated: Self.t0)
        let pending = Self.key("k2", .pending, created: Self.t0.addingTimeInterval(60), scheduled: Self.t0.addingTimeInterval(Self.period))
        let now = Self.t0.addingTimeInterval(120)
        #expect(Self.plan(now, [revoked, pending]) == [.activate(issuerID: "consumers", keyID: "k2", emergencyReason: "no active key")])
        #expect(Self.plan(now, [revoked]) == [.activateFreshKey(issuerID: "consumers", emergencyReason: "no active key")])
        let retired = Self.key("k0", .retired, activated: Self.t0, deactivated: Self.t0)
        #expect(Self.plan(now, [retired]) == [.activateFreshKey(issuerID: "consumers", emergencyReason: "no active key")])
    }

    @Test("At the maximum key age the next key takes over at once; an emergency unless it was published for the lead time")
    func maximumKeyAge() throws {
        let limit = Self.t0.addingTimeInterval(StoreIssuers.maximumKeyAge)
        #expect(Self.plan(limit.addingTimeInterval(-1), [Self.active, Self.key("k2", .pending, created: limit.addingTimeInterval(-Self.lead - 60), scheduled: limit.addingTimeInterval(3_600))]) == [])

        let fresh = Self.plan(limit, [Self.active])
        guard case .activateFreshKey("consumers", let reason, .accessToken)? = fresh.first, fresh.count == 1 else {
            Issue.record("expected one activateFreshKey, got \(fresh)")
            return
        }
        #expect(reason.contains("maximum key age"))

        let ready = Self.key("k2", .pending, created: limit.addingTimeInterval(-Self.lead), scheduled: limit.addingTimeInterval(3_600))
        #expect(Self.plan(limit, [Self.active, ready]) == [.activate(issuerID: "consumers", keyID: "k2", emergencyReason: nil)])

        let early = Self.key("k2", .pending, created: limit.addingTimeInterval(-Self.lead + 1), scheduled: limit.addingTimeInterval(3_600))
        let rushed = Self.plan(limit, [Self.active, early])
        guard case .activate("consumers", "k2", let why?, .accessToken)? = rushed.first, rushed.count == 1 else {
            Issue.record("expected an emergency activation, got \(rushed)")
            return
        }
        #expect(why.contains("maximum key age"))
    }

    @Test("The plan depends only on its inputs: order of rows does not matter, other issuers' keys are ignored")
    func deterministic() {
        let beta = StoreIssuers.consumer("beta")
        let stopped = Self.t0.addingTimeInterval(Self.period)
        let keys = [
            Self.key("k1", .verifyOnly, activated: Self.t0, deactivated: stopped, verifyUntil: stopped.addingTimeInterval(3_900)),
            Self.key("k2", .active, created: stopped.addingTimeInterval(-Self.lead), activated: stopped),
            Self.key("b1", .active, activated: Self.t0, issuerID: "beta"),
            Self.key("x1", .verifyOnly, activated: Self.t0, deactivated: Self.t0, verifyUntil: Self.t0, issuerID: "unknown"),
        ]
        let now = stopped.addingTimeInterval(4_000)
        let expected: [KeyTransition] = [
            .publishNextKey(issuerID: "beta", activateAt: now.addingTimeInterval(Self.lead)),
            .retire(issuerID: "consumers", keyID: "k1"),
        ]
        #expect(Self.plan(now, keys, issuers: [Self.issuer, beta]) == expected)
        #expect(Self.plan(now, keys.reversed(), issuers: [beta, Self.issuer]) == expected)
        #expect(Self.plan(now, keys, issuers: [Self.issuer, beta]) == Self.plan(now, keys, issuers: [Self.issuer, beta]))
    }

    @Test("Of two pending keys the oldest is the one activated")
    func oldestPending() {
        let due = Self.t0.addingTimeInterval(Self.period)
        let newer = Self.key("k3", .pending, created: due.addingTimeInterval(-60), scheduled: due)
        let older = Self.key("k2", .pending, created: due.addingTimeInterval(-Self.lead), scheduled: due)
        #expect(Self.plan(due, [Self.active, newer, older]) == [.activate(issuerID: "consumers", keyID: "k2", emergencyReason: nil)])
    }
}
