import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
@testable import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundMail
@testable import KeyboundServer
import Logging
import Testing

/// `keybound mail serve` in its own process, following contoso's `/token-events` with server client
/// credentials from a file: a token revoked at the provider is refused shortly after, cached or not.
@Suite("Keybound Mail: a separate mail server process learns of a token revocation", .serialized)
struct MailCrossProcessTokenTests {
    @Test("RFC 7009 revocation at the provider: the mail process refuses the cached token within 5 s (token_revoked, audited)")
    func tokenRevocationReachesMailProcess() async throws {
        let providerPort = try InteropTests.freePort()
        let base = "http://127.0.0.1:\(providerPort)"
        let fixture = try ProviderFixture(publicURL: base)
        defer { fixture.remove() }
        var quiet = Logger(label: "cross-process-tokens")
        quiet.logLevel = .critical
        let provider = Application(router: KeyboundApplication.router(context: fixture.context),
                                   configuration: .init(address: .hostname("127.0.0.1", port: providerPort)), logger: quiet)
        let server = Task { try await provider.runService() }
        defer { server.cancel() }

        let mailData = fixture.directory.appendingPathComponent("mail-process")
        let contoso = base + "/contoso"
        try MailStore(directory: mailData).provision(Mailbox(issuer: contoso, tenantID: DevelopmentBootstrap.tenantID,
                                                             subject: "contoso-user-subject", address: "user@contoso.example",
                                                             displayName: "User", createdAt: Date()))
        let credentials = fixture.directory.appendingPathComponent("mail-credentials.json")
        try Data(#"{"\#(contoso)": {"client_id": "daemon", "client_secret": "\#(ProviderFixture.secret)"}}"#.utf8).write(to: credentials)
        let mailPort = try InteropTests.freePort()
        let process = Process()
        process.executableURL = CLIRunner.executable
        process.arguments = ["mail", "serve", "--trust", "\(contoso)#\(DevelopmentBootstrap.tenantID)", "--trust", base + "/consumers",
                             "--port", "\(mailPort)", "--data", mailData.path, "--credentials-file", credentials.path]
        let log = mailData.appendingPathComponent("mail-serve.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }

        let mailbox = "http://127.0.0.1:\(mailPort)/users/user@contoso.example/messages"
        let token = try await MailCrossProcessTests.token(base: base)
        var accepted = 0
        for _ in 0..<200 where accepted < 3 {
            if await MailCrossProcessTests.get(mailbox, token: token)?.status == 200 { accepted += 1 } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(accepted == 3, "the mail process never accepted a valid token; its output:\n\(output)")
        #expect(output.contains("token revocations: followed as server client 'daemon'"), "\(output)")
        #expect(output.contains("NOT followed"), "consumers has no credentials, and says so")
        #expect(!output.contains(ProviderFixture.secret), "the secret is never printed")

        // Give the token-event stream a moment to be open (it connects at start-up, next to the key events).
        try await Task.sleep(for: .milliseconds(500))
        var request = URLRequest(url: URL(string: contoso + "/revoke")!)
        request.httpMethod = "POST"
        request.setValue(ProviderFixture.basic("daemon", ProviderFixture.secret), forHTTPHeaderField: "Authorization")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("token=\(token)".utf8)
        let (_, revokeResponse) = try await URLSession.shared.data(for: request)
        #expect((revokeResponse as? HTTPURLResponse)?.statusCode == 200)
        let revokedAt = ContinuousClock.now
        var refusal: MailCrossProcessTests.Reply?
        while ContinuousClock.now - revokedAt < .seconds(5) {
            if let reply = await MailCrossProcessTests.get(mailbox, token: token), reply.status == 401 {
                refusal = reply
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let elapsed = ContinuousClock.now - revokedAt
        let reply = try #require(refusal, "still accepted 5 s after the revocation; output:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        #expect(reply.challenge?.contains("token_revoked") == true, "\(reply.challenge ?? "no challenge")")
        print("token revocation reached the mail process after \(elapsed)")

        process.terminate()
        process.waitUntilExit()
        let records = try AuditLog(directory: mailData).records(limit: 10_000)
        #expect(records.last?.rejectionCode == "token_revoked")
    }
}
