import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
@testable import Keybound
@testable import KeyboundAudit
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundMail
@_spi(Plumbing) @testable import KeyboundServer
import Logging
import Testing

/// Issue 5's cross-process acceptance: a provider in this process, `keybound mail serve` in its
/// own process trusting it over HTTP; revoking the key on the provider makes the mail server
/// refuse that key's tokens shortly after, through the key-event push channel.
@Suite("Keybound Mail: a separate mail server process learns of a revocation", .serialized)
struct MailCrossProcessTests {
    static func token(base: String) async throws -> String {
        var request = URLRequest(url: URL(string: base + "/contoso/token")!)
        request.httpMethod = "POST"
        request.setValue(ProviderFixture.basic("daemon", ProviderFixture.secret), forHTTPHeaderField: "Authorization")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default".utf8)
        // The provider task may not be listening yet.
        for _ in 0..<100 {
            if let (data, _) = try? await URLSession.shared.data(for: request),
               let token = try? StrictJSONParser.parseObject(Array(data))["access_token"]?.stringValue {
                return token
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HTTPFetchError("no token from \(base)")
    }

    /// Waits (up to 20 s) until the provider of `fixture` holds `count` event streams; returns whether it did.
    static func waitForStreams(_ fixture: ProviderFixture, count: Int) async throws -> Bool {
        for _ in 0..<400 {
            let open = fixture.context.streamLimiter.open
            if open.anonymous + open.authenticated >= count { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("revoking the key on the provider: the mail process soon refuses its tokens (key_revoked, audited)")
    func revocationReachesMailProcess() async throws {
        // The mail server's data directory holds the contoso test user's mailbox.
        // contoso's issuance feed is followed as its server client: without it, contoso's tokens
        // would be refused (ledger_unavailable) before their key's revocation could matter.
        let mail = try await StandaloneMail.followingContoso(alsoTrust: { base in [base + "/consumers"] })
        let mailbox = mail.contosoMailbox
        let token = try await Self.token(base: mail.base)
        // Wait until the mail process has connected and loaded the keys: the token is accepted.
        guard try await mail.waitUntilServed(mailbox, token: token) else {
            Issue.record("the mail process never accepted a valid token; its output:\n\(mail.output)")
            await mail.stop()
            return
        }

        // The keys load at start-up, before the key-event streams connect: wait until the provider
        // holds both streams (contoso's and consumers'), so the revocation travels as an event. (A
        // stream that connects after a revocation starts at the present and loads a key set without
        // the key, which refuses the token as unknown_key: refused, but without the alert code.)
        let streamsOpen = try await Self.waitForStreams(mail.fixture, count: 2)
        #expect(streamsOpen, "the mail process never opened its key-event streams; its output:\n\(mail.output)")

        let kid = try #require(TokenInspection(token: token, now: Date()).header?["kid"]?.stringValue)
        _ = try await mail.fixture.context.manager.revoke(issuerID: "contoso", keyID: kid, reason: "cross-process test", actor: "test", now: Date())
        // A generous deadline, not a latency target (the push channel's latency is measured by the
        // propagation benchmark): the whole suite shares two cores with the mail process.
        let revokedAt = ContinuousClock.now
        let deadline = Duration.seconds(20)
        // The first refusal ends acceptance for good; its reason is key_revoked, or, in the moment
        // between a key-set reload that no longer lists the key and the revocation event (a stream
        // that reconnected under load), unknown_key until the event is applied.
        var firstRefusal: Duration?
        var refusal: StandaloneMail.Reply?
        var acceptedAfterRefusal = false
        while ContinuousClock.now - revokedAt < deadline {
            if let reply = await StandaloneMail.get(mailbox, token: token) {
                if reply.status == 401 {
                    if firstRefusal == nil { firstRefusal = ContinuousClock.now - revokedAt }
                    refusal = reply
                    if reply.challenge?.contains("key_revoked") == true { break }
                } else if firstRefusal != nil, reply.status == 200 {
                    acceptedAfterRefusal = true
                }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let elapsed = firstRefusal ?? (ContinuousClock.now - revokedAt)
        #expect(refusal?.challenge?.contains("key_revoked") == true, "not refused as key_revoked \(deadline) after the revocation: \(String(describing: refusal))")
        #expect(!acceptedAfterRefusal, "the token was accepted again after a refusal")
        #expect(firstRefusal != nil && elapsed < deadline)
        print("revocation reached the mail process after \(elapsed)")

        await mail.stopMail()
        let records = try await AuditLog(directory: mail.dataDirectory).records(limit: 10_000)
        #expect(records.contains { $0.verdict == .allowed && $0.tokenKeyID == kid }, "the token was served before the revocation")
        #expect(records.last?.rejectionCode == "key_revoked")
        #expect(records.last?.tokenKeyID == kid)
        await mail.stop()
    }
}
