import Foundation
import Testing
import KeyboundTesting

/// The console in a real browser: headless Chromium, driven by Selenium through
/// `/usr/bin/chromedriver` (Tests/Console/browser_walk.py), against a live `keybound serve` with the
/// development bootstrap. It signs in as the operator and as contoso's tenant admin, walks the
/// permission table, rotates and revokes a key through the forms (the live key-event view shows a
/// rotation as it happens; a token of the revoked key presented to Mail shows up as a live
/// `key_revoked` alert), posts every form without its CSRF token, fails on any CSP violation, and
/// runs axe-core (WCAG 2 A and AA) on every page.
/// `./test.sh` installs Chromium, its driver, Selenium and axe-core-python; without them this test
/// fails, it never skips.
@Suite("Console: in a real browser")
struct ConsoleBrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Console/browser_walk.py")

    @Test("an operator and a tenant admin walk the console in Chromium: permissions, rotate, revoke, CSRF, CSP and axe on every page")
    func walk() async throws {
        for path in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: run ./test.sh, which installs chromium and chromium-driver")
        }
        let probe = try await InteropTests.run("python3", ["-c", "import selenium, axe_core_python"])
        try #require(probe.status == 0, "Selenium or axe-core-python is missing: run ./test.sh (Tests/Console/requirements.txt)\n\(probe.output)")

        let data = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-console-screenshots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let port = try FreePort.next()
        var mailPort = try FreePort.next()
        while mailPort == port { mailPort = try FreePort.next() }
        let base = "http://localhost:\(port)"
        let server = try CLIServer(["serve", "--data", data.appendingPathComponent("data").path, "--port", "\(port)", "--public-url", base,
                                    "--metrics-listen", "off", "--with-mail", "--mail-port", "\(mailPort)"],
                                   environment: CLIServer.environment(["KEYBOUND_KEK": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]))
        defer { server.stop() }
        try #require(try await server.waitFor("Keybound listening", seconds: 180), "serve did not start:\n\(server.text)")
        let root = try #require(Self.consolePassword(server.text, user: "root"), "serve printed the operator's password:\n\(server.text)")
        let admin = try #require(Self.consolePassword(server.text, user: "admin"), "serve printed the tenant admin's password")
        let adminToken = try #require(Self.value(after: "development token for this run: ", in: server.text), "serve printed the admin token")
        let daemonSecret = try #require(Self.value(after: "confidential client: contoso-daemon / ", in: server.text), "serve printed contoso's daemon")

        let result = try await InteropTests.run("timeout", ["900", "python3", Self.script.path, "--base", base, "--operator", "root:\(root)",
                                                            "--tenant", "contoso:admin:\(admin)", "--screenshots", screenshots.path,
                                                            "--admin-token", adminToken, "--daemon", "contoso-daemon:\(daemonSecret)",
                                                            "--mail", "http://127.0.0.1:\(mailPort)", "--mailbox", "adele@contoso.example"])
        #expect(result.status == 0, "browser_walk.py failed:\n\(result.output)")
        #expect(result.output.contains("done: 31 pages checked with axe"), "\(result.output)")
        let shots = (try? FileManager.default.contentsOfDirectory(atPath: screenshots.path)) ?? []
        #expect(Set(shots).isSuperset(of: ["sign-in.png", "home-operator.png", "issuer-operator.png", "issuer-tenant-admin.png", "revoke.png", "admin-log.png",
                                                 "clients.png", "users.png", "resources.png", "alerts.png", "hunt.png", "incident-respond.png", "incident.png", "audit.png"]),
                "screenshots in \(screenshots.path): \(shots.sorted())")
    }

    /// The word after `marker` in serve's output (up to a space, `)` or the end of the line).
    static func value(after marker: String, in output: String) -> String? {
        guard let range = output.range(of: marker) else { return nil }
        let rest = output[range.upperBound...]
        let word = rest.prefix { $0 != " " && $0 != ")" && $0 != "\n" }
        return word.isEmpty ? nil : String(word)
    }

    /// The password serve printed for the console user `user`
    /// (`… console user: <user> / <password>  (<role>)`).
    static func consolePassword(_ output: String, user: String) -> String? {
        for line in output.split(separator: "\n") where line.contains("console user: \(user) / ") {
            let rest = line.split(separator: "/", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return rest.split(separator: " ").first.map(String.init)
        }
        return nil
    }
}
