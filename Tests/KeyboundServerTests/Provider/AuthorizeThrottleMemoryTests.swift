import Foundation
@testable import Keybound
@testable import KeyboundServer
import Testing

/// The throttle's own rules, without HTTP: bounded memory whatever an attacker cycles through, and
/// nothing kept for attempts that were throttled, shed or succeeded.
@Suite("Provider: sign-in throttle state")
struct AuthorizeThrottleMemoryTests {
    static func policy(capacity: Int, allowance: Int = 5, decay: TimeInterval = 900) -> BackoffPolicy {
        BackoffPolicy(allowance: allowance, initialDelay: 1, maximumDelay: 300, decayInterval: decay, resetsOnSuccess: true, capacity: capacity)
    }

    @Test("cycling through 5,000 usernames and addresses never keeps more entries than the capacity")
    func boundedMemory() {
        let throttle = SignInThrottle(account: Self.policy(capacity: 100), address: Self.policy(capacity: 40))
        let now = Date()
        var admitted = 0
        for index in 0..<5_000 {
            let address = IPAddress("10.\(index / 65_536).\(index / 256 % 256).\(index % 256)")
            if case .admitted(let ticket) = throttle.admit(issuer: "contoso", username: "name-\(index)", address: address, now: now) {
                admitted += 1
                throttle.finish(ticket, failed: true, now: now)
            }
            let counts = throttle.counts
            #expect(counts.accounts <= 100 && counts.addresses <= 40, "after \(index): \(counts)")
        }
        #expect(admitted == 5_000)
        // IPv6 addresses of one /64 are one address to the throttle.
        let six = SignInThrottle(account: Self.policy(capacity: 100), address: Self.policy(capacity: 100, allowance: 3))
        for index in 0..<3 {
            guard case .admitted(let ticket) = six.admit(issuer: "contoso", username: "a\(index)", address: IPAddress("2001:db8:1:2::\(index + 1)"),
                                                         now: now) else { Issue.record("throttled too early"); return }
            six.finish(ticket, failed: true, now: now)
        }
        guard case .throttled(_, let scope) = six.admit(issuer: "contoso", username: "b", address: IPAddress("2001:db8:1:2:ffff::9"), now: now) else {
            Issue.record("another address of the same /64 was not throttled")
            return
        }
        #expect(scope == .address)
        #expect(six.counts.addresses == 1)
    }

    @Test("an attempt that was shed or succeeded leaves no entry; a throttled one adds none")
    func nothingKeptWithoutFailure() {
        let throttle = SignInThrottle(account: Self.policy(capacity: 100), address: Self.policy(capacity: 100, allowance: 1))
        let now = Date()
        let address = IPAddress("192.0.2.1")
        for failed in [nil, false] as [Bool?] {
            guard case .admitted(let ticket) = throttle.admit(issuer: "contoso", username: "user", address: address, now: now) else {
                Issue.record("throttled")
                return
            }
            #expect(throttle.counts == (1, 1))
            throttle.finish(ticket, failed: failed, now: now)
            #expect(throttle.counts == (0, 0), "failed: \(String(describing: failed))")
        }
        guard case .admitted(let ticket) = throttle.admit(issuer: "contoso", username: "user", address: address, now: now) else { return }
        throttle.finish(ticket, failed: true, now: now)
        #expect(throttle.counts == (1, 1))
        for index in 0..<50 {
            if case .admitted = throttle.admit(issuer: "contoso", username: "other-\(index)", address: address, now: now) {
                Issue.record("the address was not throttled")
            }
        }
        #expect(throttle.counts == (1, 1))
    }

    @Test("a full table forgets expired entries before one that still holds back-off")
    func evictsExpiredFirst() {
        let throttle = SignInThrottle(account: Self.policy(capacity: 4, allowance: 3, decay: 60), address: Self.policy(capacity: 100))
        let start = Date()
        func fail(_ username: String, at time: Date) {
            guard case .admitted(let ticket) = throttle.admit(issuer: "contoso", username: username, address: nil, now: time) else {
                Issue.record("\(username) throttled")
                return
            }
            throttle.finish(ticket, failed: true, now: time)
        }
        for _ in 0..<3 { fail("victim", at: start) }
        for name in ["a", "b", "c"] { fail(name, at: start) }
        // Two minutes later a, b and c have decayed to nothing; the victim still has one failure.
        let later = start.addingTimeInterval(120)
        fail("d", at: later)
        #expect(throttle.counts.accounts == 2)
        fail("victim", at: later)
        fail("victim", at: later)
        guard case .throttled(_, let scope) = throttle.admit(issuer: "contoso", username: "victim", address: nil, now: later) else {
            Issue.record("the victim's failures were forgotten")
            return
        }
        #expect(scope == .account)
    }

    @Test("accounts are scoped by issuer and compared by exact bytes")
    func accountKeys() {
        #expect(SignInThrottle.Account(issuer: "contoso", username: "user") == SignInThrottle.Account(issuer: "contoso", username: "user"))
        #expect(SignInThrottle.Account(issuer: "contoso", username: "user") != SignInThrottle.Account(issuer: "consumers", username: "user"))
        #expect(SignInThrottle.Account(issuer: "contoso", username: "caf\u{E9}") != SignInThrottle.Account(issuer: "contoso", username: "cafe\u{301}"))
        #expect(SignInThrottle.Account(issuer: "contoso", username: "User") != SignInThrottle.Account(issuer: "contoso", username: "user"))
    }
}
