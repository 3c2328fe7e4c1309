import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundMail
@_spi(Plumbing) import KeyboundServer
import Logging
import Testing

/// `keybound mail serve` in its own process, following contoso's `/token-events` with server client
/// credentials from a file: a token revoked at the provider is refused shortly after, cached or not.
@Suite("Keybound Mail: a separate mail server process learns of a token revocation", .serialized)
struct MailCrossProcessTokenTests {
    @Test("RFC 7009 revocation at the provider: the mail process refuses the cached token within 5 s (token_revoked, audited)")
    func tokenRevocationReachesMailProcess() async throws {
        // The mail server's data directory holds the contoso test user's mailbox and, beside it,
        // the server client credentials file (never on the command line).
        let mail = try await StandaloneMail.followingContoso(alsoTrust: { base in [base + "/consumers"] })
        let contoso = mail.base + "/contoso"
        let mailData = mail.dataDirectory
        let log = mail.log
        let mailbox = mail.contosoMailbox
        let token = try await MailCrossProcessTests.token(base: mail.base)
        var accepted = 0
        for _ in 0..<400 where accepted < 3 {
            if await StandaloneMail.get(mailbox, token: token)?.status == 200 { accepted += 1 } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        let output = mail.output
        guard accepted == 3 else {
            Issue.record("the mail process never accepted a valid token; its output:\n\(output)")
            await mail.stop()
            return
        }
        #expect(output.contains("token revocations: followed as server client 'daemon'"), "\(output)")
        #expect(output.contains("NOT followed"), "consumers has no credentials, and says so")
        #expect(!output.contains(ProviderFixture.secret), "the secret is never printed")

        // Wait until the provider holds the mail process's streams: contoso's token events and key
        // events (authenticated) and consumers' key events (anonymous).
        let streamsOpen = try await MailCrossProcessTests.waitForStreams(mail.fixture, count: 3)
        #expect(streamsOpen, "the mail process never opened its event streams; its output:\n\(mail.output)")
        var request = URLRequest(url: URL(string: contoso + "/revoke")!)
        request.httpMethod = "POST"
        request.setValue(ProviderFixture.basic("daemon", ProviderFixture.secret), forHTTPHeaderField: "Authorization")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("token=\(token)".utf8)
        let (_, revokeResponse) = try await URLSession.shared.data(for: request)
        #expect((revokeResponse as? HTTPURLResponse)?.statusCode == 200)
        let revokedAt = ContinuousClock.now
        var refusal: StandaloneMail.Reply?
        while ContinuousClock.now - revokedAt < .seconds(5) {
            if let reply = await StandaloneMail.get(mailbox, token: token), reply.status == 401 {
                refusal = reply
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let elapsed = ContinuousClock.now - revokedAt
        guard let reply = refusal else {
            Issue.record("still accepted 5 s after the revocation; output:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            await mail.stop()
            return
        }
        #expect(reply.challenge?.contains("token_revoked") == true, "\(reply.challenge ?? "no challenge")")
        print("token revocation reached the mail process after \(elapsed)")

        await mail.stopMail()
        let records = try await AuditLog(directory: mailData).records(limit: 10_000)
        #expect(records.last?.rejectionCode == "token_revoked")
        await mail.stop()
    }
}
