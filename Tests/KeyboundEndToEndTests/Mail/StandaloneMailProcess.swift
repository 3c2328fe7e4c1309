import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundMail
import Logging
import Synchronization
import Testing
import KeyboundTesting
import KeyboundHummingbirdTesting

/// A provider served in this process on a real port, and `keybound mail serve` in a process of
/// its own trusting it over HTTP, as an operator runs a standalone validator.
final class StandaloneMail: Sendable {
    let fixture: ProviderFixture
    let base: String
    let mailBase: String
    let dataDirectory: URL
    let log: URL
    private let server: Mutex<GracefulServer>
    private let providerPort: Int
    let process: SpawnedProcess

    /// Starts the provider and the mail process with `trust` (`--trust` values, built from the
    /// provider's base URL) and `extraArguments` (where `{base}` stands for that URL and `{data}`
    /// for the mail data directory); `prepare` gets the provider's base URL and the mail data directory
    /// before the mail process starts (it loads its mailboxes when it starts).
    init(trust: (String) -> [String], extraArguments: [String] = [], streamLimits: StreamLimits = StreamLimits(),
         prepare: (_ base: String, _ dataDirectory: URL) throws -> Void = { _, _ in }) async throws {
        let providerPort = try FreePort.next()
        base = "http://127.0.0.1:\(providerPort)"
        fixture = try await ProviderFixture(publicURL: base, streamLimits: streamLimits)
        var quiet = Logger(label: "standalone-mail")
        quiet.logLevel = .critical
        let provider = Application(router: KeyboundApplication.router(context: fixture.context),
                                   configuration: .init(address: .hostname("127.0.0.1", port: providerPort)), logger: quiet)
        self.providerPort = providerPort
        server = Mutex(GracefulServer(provider))
        // The mail process needs the provider's discovery documents: start it once they answer.
        var providerUp = false
        for _ in 0..<600 where !providerUp {
            providerUp = await Self.get(base + "/health", token: nil)?.status == 200
            if !providerUp { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(providerUp, "the provider at \(base) never answered /health")
        dataDirectory = fixture.directory.appendingPathComponent("mail-process")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try prepare(base, dataDirectory)
        let mailPort = try FreePort.next()
        mailBase = "http://127.0.0.1:\(mailPort)"
        log = dataDirectory.appendingPathComponent("mail-serve.log")
        process = try SpawnedProcess(CLIRunner.executable.path, ["mail", "serve"] + trust(base).flatMap { ["--trust", $0] }
                                         + ["--port", "\(mailPort)", "--data", dataDirectory.path]
                                         + extraArguments.map { [base, dataDirectory] in
                                             $0.replacingOccurrences(of: "{base}", with: base).replacingOccurrences(of: "{data}", with: dataDirectory.path)
                                         },
                                     stdout: .file(log.path), stderr: .standardOutput)
    }

    /// The provider and a mail process that trusts contoso (and `alsoTrust`, built from the base
    /// URL), follows contoso's feed as its server client `daemon` (credentials in a file of the
    /// mail data directory) and holds contoso's test user's mailbox (``contosoMailbox``).
    static func followingContoso(alsoTrust: (String) -> [String] = { _ in [] }, extraArguments: [String] = [],
                                 streamLimits: StreamLimits = StreamLimits()) async throws -> StandaloneMail {
        try await StandaloneMail(trust: { base in ["\(base)/contoso#\(DevelopmentBootstrap.tenantID)"] + alsoTrust(base) },
                                 extraArguments: ["--credentials-file", "{data}/credentials.json"] + extraArguments,
                                 streamLimits: streamLimits) { base, data in
            try MailStore(directory: data).provisionNow(Mailbox(issuer: base + "/contoso", tenantID: DevelopmentBootstrap.tenantID,
                                                             subject: "contoso-user-subject", address: "user@contoso.example",
                                                             displayName: "User", createdAt: Date()))
            try writeContosoCredentials(base: base, to: data.appendingPathComponent("credentials.json"))
        }
    }

    /// The mailbox ``followingContoso(alsoTrust:extraArguments:streamLimits:)`` provisions, as an application reads it.
    var contosoMailbox: String { mailBase + "/users/user@contoso.example/messages" }

    /// Asks `url` with `token` until it is served (a generous 20 s at most); returns whether it was.
    func waitUntilServed(_ url: String, token: String) async throws -> Bool {
        for _ in 0..<400 {
            if await Self.get(url, token: token)?.status == 200 { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Asks `url` with `token` until it is refused with 401 (a generous 30 s at most); returns that answer.
    func waitUntilRefused(_ url: String, token: String) async throws -> Reply? {
        for _ in 0..<300 {
            if let reply = await Self.get(url, token: token), reply.status == 401 { return reply }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Writes, at `file`, the credentials of contoso's server client `daemon` (the development
    /// bootstrap's), as `--credentials-file` reads them.
    static func writeContosoCredentials(base: String, to file: URL) throws {
        try Data(#"{"\#(base)/contoso": {"client_id": "daemon", "client_secret": "\#(ProviderFixture.secret)"}}"#.utf8).write(to: file)
    }

    /// Waits until the mail process answers `/health`, or it exits; returns whether it answers.
    func waitUntilListening(seconds: Int = 40) async -> Bool {
        for _ in 0..<(seconds * 10) {
            if !process.isRunning { return false }
            if await Self.get(mailBase + "/health", token: nil)?.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// What the mail process printed so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Stops the mail process and waits until it has exited (its data stays for inspection).
    func stopMail() async {
        process.send(SIGTERM)
        await process.wait()
    }

    /// Stops the provider (gracefully: its event streams end), leaving the mail process running.
    func stopProvider() async {
        _ = await server.withLock { $0 }.stop(within: .seconds(10))
    }

    /// Serves the provider again on its port, over the same stores (after ``stopProvider()``).
    func restartProvider() {
        var quiet = Logger(label: "standalone-mail")
        quiet.logLevel = .critical
        let provider = Application(router: KeyboundApplication.router(context: fixture.context),
                                   configuration: .init(address: .hostname("127.0.0.1", port: providerPort)), logger: quiet)
        server.withLock { $0 = GracefulServer(provider) }
    }

    /// Stops both processes' servers and removes all their data.
    func stop() async {
        await stopMail()
        _ = await server.withLock { $0 }.result
        fixture.remove()
    }

    struct Reply {
        let status: Int
        let challenge: String?
        let body: String
    }

    static func get(_ url: String, token: String?) async -> Reply? {
        var request = URLRequest(url: URL(string: url)!, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 5)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        return Reply(status: http.statusCode, challenge: http.value(forHTTPHeaderField: "WWW-Authenticate"),
                     body: String(decoding: data, as: UTF8.self))
    }
}
