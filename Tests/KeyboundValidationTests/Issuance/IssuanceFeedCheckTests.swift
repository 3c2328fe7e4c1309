import Crypto
import Foundation
import Keybound
import KeyboundTesting
import KeyboundValidation
import Synchronization
import Testing

/// The remote forgery check's judgement, on tokens of two fake issuers: a feed entry is what
/// makes a perfectly signed token acceptable, exactly per (issuer, jti) and claims.
@Suite("Issuance feed check: a validator refuses tokens that were never issued")
struct IssuanceFeedCheckTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
    let contoso: FakeIssuer
    let fabrikam: FakeIssuer
    let verifier: TokenVerifier

    init() throws {
        contoso = try FakeIssuer("https://login.example.test/contoso", tenantID: "contoso-tid", clock: clock)
        fabrikam = try FakeIssuer("https://login.example.test/fabrikam", tenantID: "fabrikam-tid", clock: clock)
        verifier = TokenVerifier(trust: try TrustStore(trusting: [contoso, fabrikam]),
                                 policy: try VerificationPolicy(audience: "api://mail"), clock: clock.verificationClock)
    }

    /// A verified token of `issuer` with `jti`.
    func token(_ issuer: FakeIssuer, jti: String = UUID().uuidString, scope: String = "Mail.Read") throws -> VerifiedToken {
        try #require(verifier.verify(try issuer.accessToken(audience: "api://mail", scope: scope, tokenID: jti)).token)
    }

    /// The feed entry the provider would publish for `token`.
    func publish(_ token: VerifiedToken, in set: IssuedTokenSet) {
        set.insert(issuer: token.issuer, tokenID: token.tokenID!, claimsDigest: Array(SHA256.hash(data: token.payload)),
                   expiresAt: clock.now.addingTimeInterval(600), now: clock.now)
    }

    func check(_ set: IssuedTokenSet, feeds: IssuanceFeedClock, status: (any IssuanceStatusQuerying)? = nil,
               raceWindow: Duration = .milliseconds(20)) -> IssuanceFeedCheck {
        var limits = IssuanceFeedCheck.Limits()
        limits.raceWindow = raceWindow
        return IssuanceFeedCheck(issued: set, feeds: feeds, status: status, limits: limits)
    }

    func feeds(heard issuers: [FakeIssuer]) -> IssuanceFeedClock {
        let clock = self.clock
        let feeds = IssuanceFeedClock(now: { clock.now })
        for issuer in issuers { feeds.heard(issuer: issuer.identifier) }
        return feeds
    }

    static func code(_ verdict: TokenCheckVerdict) -> String? {
        if case .reject(let rejection) = verdict { return rejection.code.rawValue }
        return nil
    }

    @Test("issued: accepted; never issued: token_not_issued; the same jti with other claims: token_claims_mismatch")
    func verdicts() async throws {
        let set = IssuedTokenSet()
        let check = check(set, feeds: feeds(heard: [contoso, fabrikam]))
        let issued = try token(contoso, jti: "jti-1")
        publish(issued, in: set)
        #expect(Self.code(await check.check(issued, now: clock.now)) == nil)
        #expect(Self.code(await check.check(try token(contoso), now: clock.now)) == "token_not_issued")
        let altered = try token(contoso, jti: "jti-1", scope: "Mail.Read Mail.Send")
        #expect(Self.code(await check.check(altered, now: clock.now)) == "token_claims_mismatch")
    }

    @Test("an entry is (issuer, jti): fabrikam's token with a jti contoso issued is not issued")
    func issuerScoped() async throws {
        let set = IssuedTokenSet()
        let check = check(set, feeds: feeds(heard: [contoso, fabrikam]))
        publish(try token(contoso, jti: "shared-jti"), in: set)
        #expect(Self.code(await check.check(try token(fabrikam, jti: "shared-jti"), now: clock.now)) == "token_not_issued")
    }

    @Test("a token that arrives before its feed entry waits for it and is accepted, woken by the entry",
          .timeLimit(.minutes(1)))
    func raceWindow() async throws {
        let set = IssuedTokenSet()
        // A window far longer than the time limit: only the entry's arrival can end the wait in time.
        let check = check(set, feeds: feeds(heard: [contoso]), raceWindow: .seconds(600))
        let early = try token(contoso)
        async let verdict = check.check(early, now: clock.now)
        try await Task.sleep(for: .milliseconds(50))
        publish(early, in: set)
        #expect(Self.code(await verdict) == nil)
    }

    @Test("a feed silent past its staleness refuses every token, issued or not: ledger_unavailable")
    func staleFeed() async throws {
        let set = IssuedTokenSet()
        let feeds = feeds(heard: [contoso])
        let check = check(set, feeds: feeds)
        let issued = try token(contoso)
        publish(issued, in: set)
        #expect(Self.code(await check.check(issued, now: clock.now)) == nil)
        clock.advance(31)
        #expect(Self.code(await check.check(issued, now: clock.now)) == "ledger_unavailable")
        #expect(Self.code(await check.check(try token(fabrikam), now: clock.now)) == "ledger_unavailable", "never heard from")
        feeds.heard(issuer: contoso.identifier)
        #expect(Self.code(await check.check(issued, now: clock.now)) == nil)
    }

    /// A status endpoint that answers from a table and counts its calls.
    final class Status: IssuanceStatusQuerying {
        let answers: [String: RemoteIssuanceStatus]
        let calls = Mutex(0)
        let delay: Duration
        init(_ answers: [String: RemoteIssuanceStatus], delay: Duration = .zero) { (self.answers, self.delay) = (answers, delay) }
        func status(issuer: String, tokenID: String) async -> RemoteIssuanceStatus {
            calls.withLock { $0 += 1 }
            if delay > .zero { try? await Task.sleep(for: delay) }
            return answers[tokenID] ?? .notIssued
        }
    }

    @Test("a full set never refuses what it could not hold: it asks the status endpoint, and without one refuses ledger_unavailable")
    func fullSet() async throws {
        let set = IssuedTokenSet(maximumEntries: 1)
        let first = try token(contoso), second = try token(contoso)
        publish(first, in: set)
        publish(second, in: set)  // not held: the set is full
        #expect(set.count == 1 && !set.isComplete(now: clock.now))
        let withoutStatus = check(set, feeds: feeds(heard: [contoso]))
        #expect(Self.code(await withoutStatus.check(second, now: clock.now)) == "ledger_unavailable")
        let status = Status([second.tokenID!: .issued(claimsDigest: Array(SHA256.hash(data: second.payload)), expiresAt: clock.now.addingTimeInterval(600))])
        let withStatus = check(set, feeds: feeds(heard: [contoso]), status: status)
        #expect(Self.code(await withStatus.check(second, now: clock.now)) == nil)
        #expect(Self.code(await withStatus.check(try token(contoso), now: clock.now)) == "token_not_issued")
        #expect(status.calls.withLock { $0 } == 2)
        // Once every refused entry has expired, the set is complete again.
        #expect(set.isComplete(now: clock.now.addingTimeInterval(601)))
    }

    /// A status endpoint whose calls wait until the test opens it, then answer `notIssued`.
    final class HeldStatus: IssuanceStatusQuerying {
        private let state = Mutex((open: false, waiting: [CheckedContinuation<Void, Never>]()))
        func status(issuer: String, tokenID: String) async -> RemoteIssuanceStatus {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let open = state.withLock { state -> Bool in
                    if !state.open { state.waiting.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
            return .notIssued
        }
        func open() {
            let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiter in waiting { waiter.resume() }
        }
    }

    @Test("beyond the status calls in flight, a token is refused ledger_unavailable rather than queued")
    func boundedStatusCalls() async throws {
        let set = IssuedTokenSet()
        var limits = IssuanceFeedCheck.Limits()
        (limits.raceWindow, limits.maximumStatusCalls) = (.milliseconds(1), 2)
        let status = HeldStatus()
        let check = IssuanceFeedCheck(issued: set, feeds: feeds(heard: [contoso]), status: status, limits: limits)
        let tokens = try (0..<6).map { _ in try token(contoso) }
        let now = clock.now
        let codes = await withTaskGroup(of: String?.self) { group in
            for token in tokens { group.addTask { Self.code(await check.check(token, now: now)) } }
            // Two calls hold the two places until the endpoint opens, so the other four must be refused first.
            var codes: [String?] = []
            for await code in group {
                codes.append(code)
                if codes.count == 4 { status.open() }
            }
            return codes
        }
        #expect(Array(codes.prefix(4)) == Array(repeating: "ledger_unavailable", count: 4), "\(codes)")
        #expect(Array(codes.suffix(2)) == ["token_not_issued", "token_not_issued"], "\(codes)")
    }

    /// A status endpoint that gives one answer.
    struct FixedStatus: IssuanceStatusQuerying {
        let answer: RemoteIssuanceStatus
        func status(issuer: String, tokenID: String) async -> RemoteIssuanceStatus { answer }
    }

    @Test("the status endpoint's revoked is token_revoked; an issuer the check does not apply to passes untouched, even with a silent feed")
    func revokedAndExempt() async throws {
        let set = IssuedTokenSet()
        let revoked = IssuanceFeedCheck(issued: set, feeds: feeds(heard: [contoso]), status: FixedStatus(answer: .revoked),
                                        limits: { var limits = IssuanceFeedCheck.Limits(); limits.raceWindow = .milliseconds(1); return limits }())
        #expect(Self.code(await revoked.check(try token(contoso), now: clock.now)) == "token_revoked")
        let held = try token(contoso)
        publish(held, in: set)
        #expect(Self.code(await revoked.check(held, now: clock.now)) == nil)
        #expect(revoked.statistics == IssuanceFeedCheck.Statistics(heldAtOnce: 1, waited: 1, foundAfterWaiting: 0, statusCalls: 1))

        let onlyContoso = IssuanceFeedCheck(issued: set, feeds: IssuanceFeedClock(), status: nil,
                                            applies: { $0.isExactly(contoso.identifier) })
        #expect(Self.code(await onlyContoso.check(try token(fabrikam), now: clock.now)) == nil, "fabrikam is exempt")
        #expect(Self.code(await onlyContoso.check(try token(contoso), now: clock.now)) == "ledger_unavailable", "contoso's feed was never heard")
    }

    /// Holds contoso's status calls until opened; answers any other issuer's at once.
    final class HeldForContoso: IssuanceStatusQuerying {
        let held = HeldStatus()
        let contoso: String
        init(contoso: String) { self.contoso = contoso }
        func status(issuer: String, tokenID: String) async -> RemoteIssuanceStatus {
            issuer.isExactly(contoso) ? await held.status(issuer: issuer, tokenID: tokenID) : .notIssued
        }
    }

    @Test("the bounds are per issuer: contoso's tokens filling its status calls never take fabrikam's place")
    func boundsPerIssuer() async throws {
        var limits = IssuanceFeedCheck.Limits()
        (limits.raceWindow, limits.maximumStatusCalls) = (.milliseconds(1), 1)
        let status = HeldForContoso(contoso: contoso.identifier)
        let check = IssuanceFeedCheck(issued: IssuedTokenSet(), feeds: feeds(heard: [contoso, fabrikam]), status: status, limits: limits)
        let now = clock.now
        let held = try token(contoso)
        async let first = check.check(held, now: now)
        // Wait until contoso's one status call is in flight (held): a second contoso token is refused.
        var inFlight = false
        for _ in 0..<2_000 where !inFlight {
            inFlight = check.statistics.statusCalls == 1
            if !inFlight { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(inFlight)
        #expect(Self.code(await check.check(try token(contoso), now: now)) == "ledger_unavailable",
                "contoso's second token finds its one status call taken")
        // fabrikam's token still gets its own status call: not issued, never "unavailable".
        #expect(Self.code(await check.check(try token(fabrikam), now: now)) == "token_not_issued")
        status.held.open()
        #expect(Self.code(await first) == "token_not_issued")
    }
}
