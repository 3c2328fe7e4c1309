import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import KeyboundTesting

/// `keybound serve` through the built binary: production mode and its key-encryption key,
/// `/metrics` on its own listener, and the admin API and console on theirs, never on the public one.
@Suite("CLI: keybound serve in production mode, and its metrics listener", .serialized)
struct CLIServeProductionTests {
    /// A base64 KEK (32 random bytes) written to `url`.
    static func writeKEK(to url: URL) throws {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        try Data((Data(bytes).base64EncodedString() + "\n").utf8).write(to: url)
    }

    /// Runs `serve` with `arguments` until it prints its listening line (then stops it) or exits.
    /// Returns whether it started, its exit status when it did not, and its output.
    static func serve(_ arguments: [String], environment: [String: String]) async throws -> (started: Bool, status: Int32, output: String) {
        let server = try CLIServer(["serve"] + arguments, environment: environment)
        let started = try await server.waitFor("Keybound listening", seconds: 120)
        let status = server.stop()
        await server.drainOutput()
        return (started, status, server.text)
    }

    static func ports() throws -> (Int, Int) {
        var first = try FreePort.next()
        var second = try FreePort.next()
        while second == first { second = try FreePort.next() }
        if first == 0 { first = 18_080 }
        return (first, second)
    }

    @Test("--no-bootstrap without KEYBOUND_KEK_FILE or KEYBOUND_KEK refuses to start and creates no development KEK")
    func refusesWithoutKEK() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        let (port, _) = try Self.ports()
        let result = try await Self.serve(["--no-bootstrap", "--data", data.path, "--port", "\(port)", "--metrics-listen", "off"],
                                          environment: CLIServer.environment())
        #expect(!result.started, "production mode started without a KEK:\n\(result.output)")
        #expect(result.status != 0)
        #expect(result.output.contains("KEYBOUND_KEK"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("keybound-dev.kek").path))
    }

    @Test("--no-bootstrap never reuses an existing keybound-dev.kek")
    func refusesDevelopmentKEK() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        // A development store: its keys are sealed under a generated keybound-dev.kek.
        let created = try await CLIRunner.run(["issuer", "create", "--data", data.path, "--id", "contoso", "--url", "https://id.example/contoso",
                                         "--kind", "tenant", "--tenant-id", "t-1"], environment: CLIServer.environment())
        try #require(created.status == 0, "\(created.stderr)")
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("keybound-dev.kek").path))
        let (port, _) = try Self.ports()
        let result = try await Self.serve(["--no-bootstrap", "--data", data.path, "--port", "\(port)", "--metrics-listen", "off"],
                                          environment: CLIServer.environment())
        #expect(!result.started, "production mode used the development KEK:\n\(result.output)")
        #expect(result.status != 0)
        #expect(result.output.contains("KEYBOUND_KEK"), "\(result.output)")
    }

    @Test("--no-bootstrap refuses a KEK file inside the data directory, and starts with one outside it")
    func kekFileLocation() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let inside = data.appendingPathComponent("production.kek")
        try Self.writeKEK(to: inside)
        let (port, _) = try Self.ports()
        let arguments = ["--no-bootstrap", "--data", data.path, "--port", "\(port)", "--metrics-listen", "off"]
        let refused = try await Self.serve(arguments, environment: CLIServer.environment(["KEYBOUND_KEK_FILE": inside.path]))
        #expect(!refused.started, "a KEK inside the data directory was accepted:\n\(refused.output)")
        #expect(refused.status != 0)
        #expect(refused.output.contains("inside the data directory"), "\(refused.output)")
        // The same file reached through a path with '..' is still inside.
        let dotted = data.appendingPathComponent("sub/../production.kek").path
        let refusedDotted = try await Self.serve(arguments, environment: CLIServer.environment(["KEYBOUND_KEK_FILE": dotted]))
        #expect(!refusedDotted.started)

        let outside = directory.appendingPathComponent("production.kek")
        try Self.writeKEK(to: outside)
        let started = try await Self.serve(arguments, environment: CLIServer.environment(["KEYBOUND_KEK_FILE": outside.path]))
        #expect(started.started, "production mode with a KEK outside the data directory did not start:\n\(started.output)")
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("keybound-dev.kek").path))
    }

    @Test("GET /metrics is 404 on the public port and served on the metrics listener")
    func metricsListener() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (port, metricsPort) = try Self.ports()
        let server = try CLIServer(["serve", "--data", directory.appendingPathComponent("data").path, "--port", "\(port)",
                                    "--metrics-listen", "127.0.0.1:\(metricsPort)"], environment: CLIServer.environment())
        defer { server.stop() }
        // The metrics line comes a few lines after "Keybound listening": wait for it, not the first.
        let started = try await server.waitFor("metrics: http://127.0.0.1:\(metricsPort)/metrics", seconds: 120)
        try #require(started, "serve did not start, or did not name its metrics listener:\n\(server.text)")
        let health = try await Self.get("http://127.0.0.1:\(port)/health")
        #expect(health.status == 200)
        let publicMetrics = try await Self.get("http://127.0.0.1:\(port)/metrics")
        #expect(publicMetrics.status == 404)
        #expect(!publicMetrics.body.contains("keybound_"))
        let metrics = try await Self.get("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("hb_requests") || metrics.body.contains("http_server_request_duration"), "\(metrics.body.prefix(500))")
        // The metrics listener serves nothing else.
        let other = try await Self.get("http://127.0.0.1:\(metricsPort)/health")
        #expect(other.status == 404)
    }

    @Test("in production mode the admin API and the console answer on their own listener only: 404 on the public port")
    func adminListener() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kek = directory.appendingPathComponent("production.kek")
        try Self.writeKEK(to: kek)
        let (port, adminPort) = try Self.ports()
        let token = String(repeating: "t", count: 40)
        let server = try CLIServer(["serve", "--no-bootstrap", "--data", directory.appendingPathComponent("data").path, "--port", "\(port)",
                                    "--metrics-listen", "off", "--admin-listen", "127.0.0.1:\(adminPort)"],
                                   environment: CLIServer.environment(["KEYBOUND_KEK_FILE": kek.path, "KEYBOUND_ADMIN_TOKEN": token]))
        defer { server.stop() }
        let started = try await server.waitFor("admin API and console: http://127.0.0.1:\(adminPort)/admin", seconds: 120)
        try #require(started, "serve did not start, or did not name its admin listener:\n\(server.text)")
        let bearer = ["Authorization": "Bearer \(token)"]
        #expect(try await Self.get("http://127.0.0.1:\(port)/health").status == 200)
        #expect(try await Self.get("http://127.0.0.1:\(port)/admin/issuers", headers: bearer).status == 404, "no admin API on the public port")
        #expect(try await Self.get("http://127.0.0.1:\(port)/console").status == 404, "no console on the public port")
        let issuers = try await Self.get("http://127.0.0.1:\(adminPort)/admin/issuers", headers: bearer)
        #expect(issuers.status == 200, "\(issuers.body)")
        #expect(try await Self.get("http://127.0.0.1:\(adminPort)/admin/issuers").status == 401, "the admin listener still needs the token")
        let console = try await Self.get("http://127.0.0.1:\(adminPort)/console")
        #expect(console.status == 200 && console.body.contains("Sign in to the console"))

        let clash = try await Self.serve(["--no-bootstrap", "--data", directory.appendingPathComponent("other").path, "--port", "\(port)",
                                          "--metrics-listen", "off", "--admin-listen", "127.0.0.1:\(port)"],
                                         environment: CLIServer.environment(["KEYBOUND_KEK_FILE": kek.path, "KEYBOUND_ADMIN_TOKEN": token]))
        #expect(!clash.started && clash.output.contains("must not use the public port"), "\(clash.output)")
    }

    /// A GET over loopback, retried briefly while the listener comes up.
    static func get(_ url: String, headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
        var lastError: (any Error)?
        for _ in 0..<40 {
            do {
                var request = URLRequest(url: URL(string: url)!)
                for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw lastError ?? CancellationError()
    }
}
