import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundServer
import KeyboundStore
import Logging
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
import KeyboundTesting
import KeyboundHummingbirdTesting
#endif

/// Third-party clients against a live server: Python's authlib (client credentials, authorization
/// code + PKCE, refresh) and PyJWT's PyJWKClient validating the tokens against the published JWKS.
/// The Python packages are installed from Tests/Interop/requirements.txt if missing; if they
/// cannot be installed the test fails — it never skips.
@Suite("Provider: interop with authlib and PyJWT", .serialized)
struct InteropTests {
    static let interopDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Interop")

    @Test("authlib and PyJWT complete every grant against the live server", arguments: ["consumers", "contoso"])
    func interop(issuer: String) async throws {
        try await Self.ensurePythonPackages()
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let fixture = try await ProviderFixture(publicURL: base)
        defer { fixture.remove() }
        var quiet = Logger(label: "interop")
        quiet.logLevel = .critical
        let app = Application(router: KeyboundApplication.router(context: fixture.context),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        // The issuer URLs name the port, so the server must listen on exactly that port (the
        // testing framework's live mode picks its own): run the service directly.
        let server = GracefulServer(app)
        let result = try await Self.run("python3", [
            Self.interopDirectory.appendingPathComponent("interop.py").path, base, issuer, "daemon", ProviderFixture.secret,
            "web", "user", ProviderFixture.password, ProviderFixture.redirect])
        #expect(result.status == 0, "interop.py failed:\n\(result.output)")
        #expect(result.output.contains("interop: all passed"))
        server.cancel()
        _ = await server.result
        // Every token the Python clients received is in the ledger.
        let ledger = try fixture.store.issuances(after: 0, limit: 100)
        // A consumer realm has no tenant-wide roles: client credentials are refused there.
        #expect(ledger.contains { $0.grantType == "client_credentials" && $0.issuerID == issuer } == (issuer == "contoso"))
        #expect(ledger.contains { $0.grantType == "refresh_token" && $0.kind == .refresh })
    }

    /// Installs the interop requirements with pip if they do not import.
    static func ensurePythonPackages() async throws {
        let probe = try await run("python3", ["-c", "import authlib, jwt, requests, cryptography"])
        if probe.status == 0 { return }
        let requirements = interopDirectory.appendingPathComponent("requirements.txt").path
        let install = try await run("python3", ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements])
        try #require(install.status == 0, "pip could not install the interop clients:\n\(install.output)")
        let again = try await run("python3", ["-c", "import authlib, jwt, requests, cryptography"])
        try #require(again.status == 0, "the interop clients do not import after pip install:\n\(again.output)")
    }

    /// Runs a program to completion without blocking a concurrency thread; returns its status and combined output.
    static func run(_ program: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        // pip on a distribution's own Python refuses global installs unless told otherwise.
        let environment = ProcessInfo.processInfo.environment.merging(["PIP_BREAK_SYSTEM_PACKAGES": "1"]) { current, _ in current }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-run-\(UUID().uuidString).log")
        let process = try SpawnedProcess("/usr/bin/env", [program] + arguments, environment: environment,
                                         stdout: .file(output.path), stderr: .standardOutput)
        let status = await process.wait().status
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output)
        return (status, text)
    }
}
