import Foundation
import Keybound
import KeyboundStore
import Testing

/// An injected clock walks issuers through at least three scheduled rotations, ticking at every
/// step, and every lifecycle invariant is checked after every tick: one active key, at most one
/// pending key, lead time respected, verify-only keys published until every token they can have
/// signed has expired and then retired, and no key (or public part) ever lost.
@Suite("Key store: three-rotation walk")
struct StoreRotationWalkTests {
    struct Schedule: Sendable, CustomTestStringConvertible {
        let name: String
        let issuers: [IssuerRecord]
        let step: TimeInterval
        let duration: TimeInterval
        var testDescription: String { name }
    }

    static let schedules: [Schedule] = [
        Schedule(name: "2-day rotation, a consumer and a tenant, 30-minute ticks",
                 issuers: [StoreIssuers.consumer(), StoreIssuers.tenant(algorithm: .edDSA)],
                 step: 30 * StoreClock.minute, duration: 7 * StoreClock.day),
        Schedule(name: "product defaults (30 d / 24 h / 1 h / 90 d), 3-hour ticks",
                 issuers: [IssuerRecord(id: "defaults", url: "https://login.keybound.test/defaults", kind: .consumer, createdAt: StoreClock.origin)],
                 step: 3 * StoreClock.hour, duration: 95 * StoreClock.day),
    ]

    @Test("Every invariant holds after every tick", arguments: StoreBackend.allCases, schedules)
    func walk(backend: StoreBackend, schedule: Schedule) async throws {
        let fixture = try await StoreFixture(backend, issuers: schedule.issuers)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        var clock = StoreClock()
        var seen: [String: KeyRecord] = [:]          // every key ever observed, as first seen
        var activations: [String: [Date]] = [:]      // per issuer, when the active key changed
        var lastActive: [String: String] = [:]
        while clock.now <= StoreClock.origin.addingTimeInterval(schedule.duration) {
            try await manager.tick(now: clock.now)
            for issuer in schedule.issuers {
                try await Self.checkInvariants(manager, issuer: issuer, now: clock.now, seen: &seen)
                let active = try await manager.activeKey(issuer.id)
                if lastActive[issuer.id] != active.keyID {
                    activations[issuer.id, default: []].append(clock.now)
                    lastActive[issuer.id] = active.keyID
                }
            }
            clock.advance(schedule.step)
        }
        for issuer in schedule.issuers {
            let expected = (0...3).map { issuer.createdAt.addingTimeInterval(Double($0) * issuer.rotationPeriod) }
            #expect(activations[issuer.id] == expected, "\(issuer.id): a new key signs every rotation period, exactly on time")
            let keys = try await manager.keys(issuerID: issuer.id)
            #expect(keys.count >= 4)
            #expect(keys.filter { $0.state == .retired }.count >= 3)
            #expect(keys.allSatisfy { $0.emergencyReason == nil }, "a regular schedule has no emergency")
        }
    }

    /// The invariants of every key purpose (each its own lifecycle), then those of the whole JWKS.
    static func checkInvariants(_ manager: KeyManager, issuer: IssuerRecord, now: Date, seen: inout [String: KeyRecord]) async throws {
        for purpose in KeyPurpose.allCases {
            try await checkInvariants(manager, issuer: issuer, purpose: purpose, now: now, seen: &seen)
        }
        let all = try await manager.keys(issuerID: issuer.id)
        let published = try await manager.publishedKeyIDs(issuer.id)
        #expect(published == Set(all.filter { [.pending, .active, .verifyOnly].contains($0.state) }.map(\.keyID)), "\(issuer.id): JWKS")
    }

    static func checkInvariants(_ manager: KeyManager, issuer: IssuerRecord, purpose: KeyPurpose, now: Date, seen: inout [String: KeyRecord]) async throws {
        let keys = try await manager.keys(issuerID: issuer.id).filter { $0.purpose == purpose }
        let at = "\(issuer.id) (\(purpose.rawValue)) at +\(Int(now.timeIntervalSince(StoreClock.origin) / 60)) min"

        // Exactly one active key, at most one pending, and the signing key is the active one.
        let active = keys.filter { $0.state == .active }
        #expect(active.count == 1, "\(at): \(active.count) active keys")
        #expect(keys.filter { $0.state == .pending }.count <= 1, "\(at): several pending keys")
        if let active = active.first {
            await #expect(try manager.signingKey(issuerID: issuer.id, purpose: purpose).keyID == active.keyID, "\(at)")
            #expect(active.algorithm == purpose.algorithm(of: issuer), "\(at)")
        }

        // Only the first key is initial; every other one waited out the lead time.
        for key in keys {
            #expect(key.isInitial == (key.createdAt == issuer.createdAt && keys.first?.keyID == key.keyID), "\(at): \(key.keyID) isInitial")
            if let activatedAt = key.activatedAt, !key.isInitial {
                #expect(activatedAt.timeIntervalSince(key.createdAt) >= issuer.publishLeadTime, "\(at): \(key.keyID) signed before the lead time")
                #expect(key.scheduledActivation.map { activatedAt >= $0 } ?? false, "\(at): \(key.keyID) signed before its scheduled activation")
            }
        }

        // The JWKS is exactly pending + active + verify-only, and holds every key that may still have
        // an unexpired token: its last signing time + maximum token lifetime + skew is still ahead.
        let published = try await manager.publishedKeyIDs(issuer.id)
        #expect(published.isSuperset(of: keys.filter { [.pending, .active, .verifyOnly].contains($0.state) }.map(\.keyID)), "\(at)")
        for key in keys {
            if let stopped = key.deactivatedAt, now < stopped.addingTimeInterval(issuer.maximumTokenLifetime + RotationEngine.verificationSkew) {
                #expect(published.contains(key.keyID), "\(at): \(key.keyID) left the JWKS while its tokens may be alive")
            }
            if key.state == .verifyOnly {
                let until = try #require(key.verifyUntil)
                #expect(until == RotationEngine.verifyUntil(deactivatedAt: try #require(key.deactivatedAt), issuer: issuer))
                #expect(now < until, "\(at): \(key.keyID) should have been retired at \(until)")
            }
            if key.state == .retired {
                let retiredAt = try #require(key.retiredAt)
                #expect(retiredAt >= (key.verifyUntil ?? .distantFuture), "\(at): \(key.keyID) retired too early")
                #expect(!published.contains(key.keyID))
            }
        }

        // Keys are never deleted; the public part of a key never changes; it stays bound to its issuer.
        for (kid, first) in seen where first.issuerID == issuer.id && first.purpose == purpose {
            let current = keys.first { $0.keyID == kid }
            #expect(current != nil, "\(at): key \(kid) disappeared")
            #expect(current?.publicJWK == first.publicJWK, "\(at): public part of \(kid) changed")
            #expect(current?.createdAt == first.createdAt)
        }
        for key in keys {
            if seen[key.keyID] == nil { seen[key.keyID] = key }
            let jwk = try StrictJSONParser.parseObject(Array(key.publicJWK.utf8))
            #expect(jwk["issuer"]?.stringValue == issuer.url, "\(at): \(key.keyID) bound to another issuer")
            #expect(jwk["d"] == nil && jwk["p"] == nil, "\(at): private member in the public JWK")
        }
    }
}
