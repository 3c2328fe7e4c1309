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

/// Issue 5's cross-process acceptance: a provider in this process, `keybound mail serve` in its
/// own process trusting it over HTTP; revoking the key on the provider makes the mail server
/// refuse that key's tokens shortly after, through the key-event push channel.
@Suite("Keybound Mail: a separate mail server process learns of a revocation", .serialized)
struct MailCrossProcessTests {
    struct Reply {
        let status: Int
        let challenge: String?
    }

    static func get(_ url: String, token: String?) async -> Reply? {
        var request = URLRequest(url: URL(string: url)!, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 5)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (_, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        return Reply(status: http.statusCode, challenge: http.value(forHTTPHeaderField: "WWW-Authenticate"))
    }

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

    @Test("revoking the key on the provider: the mail process refuses its tokens within 5 s (key_revoked, audited)")
    func revocationReachesMailProcess() async throws {
        let providerPort = try InteropTests.freePort()
        let base = "http://127.0.0.1:\(providerPort)"
        let fixture = try ProviderFixture(publicURL: base)
        defer { fixture.remove() }
        var quiet = Logger(label: "cross-process")
        quiet.logLevel = .critical
        let provider = Application(router: KeyboundApplication.router(context: fixture.context),
                                   configuration: .init(address: .hostname("127.0.0.1", port: providerPort)), logger: quiet)
        let server = Task { try await provider.runService() }
        defer { server.cancel() }

        // The mail server's data directory, with the contoso test user's mailbox provisioned.
        let mailData = fixture.directory.appendingPathComponent("mail-process")
        let contoso = base + "/contoso"
        try MailStore(directory: mailData).provision(Mailbox(issuer: contoso, tenantID: DevelopmentBootstrap.tenantID,
                                                             subject: "contoso-user-subject", address: "user@contoso.example",
                                                             displayName: "User", createdAt: Date()))
        let mailPort = try InteropTests.freePort()
        let process = Process()
        process.executableURL = CLIRunner.executable
        process.arguments = ["mail", "serve", "--trust", "\(contoso)#\(DevelopmentBootstrap.tenantID)", "--trust", base + "/consumers",
                             "--port", "\(mailPort)", "--data", mailData.path]
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
        let token = try await Self.token(base: base)
        // Wait until the mail process has connected and loaded the keys: the token is accepted.
        var accepted = false
        for _ in 0..<200 where !accepted {
            accepted = await Self.get(mailbox, token: token)?.status == 200
            if !accepted { try await Task.sleep(for: .milliseconds(50)) }
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(accepted, "the mail process never accepted a valid token; its output:\n\(output)")

        let kid = try #require(TokenInspection(token: token, now: Date()).header?["kid"]?.stringValue)
        let revokedAt = ContinuousClock.now
        _ = try fixture.context.manager.revoke(issuerID: "contoso", keyID: kid, reason: "cross-process test", actor: "test", now: Date())
        var refusal: Reply?
        while ContinuousClock.now - revokedAt < .seconds(5) {
            if let reply = await Self.get(mailbox, token: token), reply.status == 401 {
                refusal = reply
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let elapsed = ContinuousClock.now - revokedAt
        let reply = try #require(refusal, "still accepted 5 s after the revocation")
        #expect(reply.challenge?.contains("key_revoked") == true, "\(reply.challenge ?? "no challenge")")
        #expect(elapsed < .seconds(5))
        print("revocation reached the mail process after \(elapsed)")

        process.terminate()
        process.waitUntilExit()
        let records = try AuditLog(directory: mailData).records(limit: 10_000)
        #expect(records.contains { $0.verdict == .allowed && $0.tokenKeyID == kid }, "the token was served before the revocation")
        #expect(records.last?.rejectionCode == "key_revoked")
        #expect(records.last?.tokenKeyID == kid)
    }
}
