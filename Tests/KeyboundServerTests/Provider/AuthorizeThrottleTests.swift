import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing
import KeyboundTesting

/// Sign-in throttling: exponential back-off per (issuer, username) after failed sign-ins, capped and
/// decaying (never a permanent lockout), and per client address; a throttled request gets 429 with
/// `Retry-After` and costs no bcrypt.
@Suite("Provider: authorize endpoint throttling")
struct AuthorizeThrottleTests {
    /// Failed sign-ins an account may have before the back-off starts.
    static let accountAllowance = 5
    /// The account back-off's cap, in seconds.
    static let accountCap = 300
    /// Failed sign-ins an address may have before its back-off starts.
    static let addressAllowance = 20

    static func signIn(_ client: some TestClientProtocol, issuer: String = "contoso", username: String = "user",
                       password: String) async throws -> TestResponse {
        try await ProviderFixture.signIn(client, issuer: issuer, query: ProviderFixture.authorizeQuery(), username: username, password: password)
    }

    /// The response must be 429 with a whole-seconds Retry-After and an OAuth error body; returns the delay.
    static func expectThrottled(_ response: TestResponse, _ comment: Comment? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        #expect(response.status == .tooManyRequests, comment, sourceLocation: sourceLocation)
        #expect(response.headers[.location] == nil, comment, sourceLocation: sourceLocation)
        #expect(response.headers[.cacheControl] == "no-store", comment, sourceLocation: sourceLocation)
        let body = try ProviderFixture.json(response)
        #expect(body["error"] == .string("temporarily_unavailable"), comment, sourceLocation: sourceLocation)
        #expect(body["error_description"]?.stringValue?.isEmpty == false, comment, sourceLocation: sourceLocation)
        let retryAfter = try #require(response.headers[.retryAfter].flatMap { Int($0) }, comment, sourceLocation: sourceLocation)
        #expect(retryAfter >= 1, comment, sourceLocation: sourceLocation)
        return retryAfter
    }

    @Test("after the allowance of failures an account gets 429 + Retry-After, even with the right password; other issuers and usernames are not affected; after the delay the right password works")
    func accountBackoff() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            for attempt in 1...Self.accountAllowance {
                let response = try await Self.signIn(client, password: "wrong \(attempt)")
                #expect(response.status == .unauthorized, "attempt \(attempt)")
            }
            let retryAfter = try Self.expectThrottled(try await Self.signIn(client, password: "wrong again"))
            #expect(retryAfter <= Self.accountCap)
            _ = try Self.expectThrottled(try await Self.signIn(client, password: ProviderFixture.password), "the right password is throttled too")
            // Scoped by issuer: the same username at consumers is another account.
            let elsewhere = try await Self.signIn(client, issuer: "consumers", password: ProviderFixture.password)
            #expect(elsewhere.status == .seeOther)
            // Another username at the same issuer is not throttled.
            let other = try await Self.signIn(client, username: "nobody", password: "wrong")
            #expect(other.status == .unauthorized)
            clock.advance(TimeInterval(retryAfter))
            let success = try await Self.signIn(client, password: ProviderFixture.password)
            #expect(success.status == .seeOther)
            #expect(ProviderFixture.redirectParameters(success)["code"] != nil)
            // A success resets the account: the next failure is an ordinary 401.
            let afterwards = try await Self.signIn(client, password: "wrong")
            #expect(afterwards.status == .unauthorized)
        }
    }

    @Test("the delay doubles after each further failure and stops at the cap; the right password still works after the delay")
    func backoffCapsWithoutLockout() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            for attempt in 1...Self.accountAllowance {
                #expect(try await Self.signIn(client, password: "wrong \(attempt)").status == .unauthorized)
            }
            var delays: [Int] = []
            for round in 0..<12 {
                let delay = try Self.expectThrottled(try await Self.signIn(client, password: "wrong"), "round \(round)")
                delays.append(delay)
                clock.advance(TimeInterval(delay))
                #expect(try await Self.signIn(client, password: "wrong \(round)").status == .unauthorized, "round \(round)")
            }
            #expect(delays == delays.sorted(), "\(delays)")
            #expect(delays.first.map { $0 < Self.accountCap } == true, "\(delays)")
            #expect(delays.allSatisfy { $0 <= Self.accountCap }, "\(delays)")
            #expect(delays.last == Self.accountCap, "\(delays)")
            let delay = try Self.expectThrottled(try await Self.signIn(client, password: ProviderFixture.password))
            #expect(delay <= Self.accountCap)
            clock.advance(TimeInterval(delay))
            #expect(try await Self.signIn(client, password: ProviderFixture.password).status == .seeOther)
        }
    }

    @Test("failures decay: a day later the account has its whole allowance again")
    func failuresDecay() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            for attempt in 1...Self.accountAllowance {
                #expect(try await Self.signIn(client, password: "wrong \(attempt)").status == .unauthorized)
            }
            _ = try Self.expectThrottled(try await Self.signIn(client, password: "wrong"))
            clock.advance(86_400)
            for attempt in 1...Self.accountAllowance {
                #expect(try await Self.signIn(client, password: "wrong \(attempt)").status == .unauthorized, "attempt \(attempt)")
            }
        }
    }

    @Test("usernames are compared exactly: failures for 'cafe\\u{301}' do not throttle 'caf\\u{E9}', which Swift's == calls equal")
    func exactUsernames() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function)
        defer { fixture.remove() }
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed && !composed.isExactly(decomposed))
        try fixture.store.insert(UserRecord(issuerID: "contoso", subject: "cafe-subject", username: composed,
                                                    passwordHash: PasswordHasher.hash(ProviderFixture.password, cost: 4),
                                                    displayName: "Café", email: nil, createdAt: clock.now))
        try await fixture.app.test(.router) { client in
            for attempt in 1...Self.accountAllowance {
                #expect(try await Self.signIn(client, username: decomposed, password: "wrong \(attempt)").status == .unauthorized)
            }
            _ = try Self.expectThrottled(try await Self.signIn(client, username: decomposed, password: "wrong"))
            let other = try await Self.signIn(client, username: composed, password: ProviderFixture.password)
            #expect(other.status == .seeOther)
        }
    }

    @Test("one client address gets 429 after its allowance of failures, whatever username it tries next; after the delay it may try again")
    func addressThrottle() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function)
        defer { fixture.remove() }
        try await fixture.liveApp.test(.live) { client in
            // Each username fails once, so no account reaches its own allowance.
            for attempt in 1...Self.addressAllowance {
                let response = try await Self.signIn(client, username: "guess-\(attempt)", password: "wrong")
                #expect(response.status == .unauthorized, "attempt \(attempt)")
            }
            let retryAfter = try Self.expectThrottled(try await Self.signIn(client, username: "fresh-name", password: "wrong"))
            _ = try Self.expectThrottled(try await Self.signIn(client, password: ProviderFixture.password), "a real account from the same address")
            clock.advance(TimeInterval(retryAfter))
            #expect(try await Self.signIn(client, password: ProviderFixture.password).status == .seeOther)
        }
    }
}
