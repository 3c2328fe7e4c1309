import Foundation
import Testing
import KeyboundTesting

/// `keybound` makes its process non-dumpable before it reads any key; `serve --allow-core-dumps`
/// turns dumps back on for debugging, and production mode refuses it. The KEK lives in locked
/// memory, and production mode does not start when the kernel refuses the lock.
@Suite("CLI: core dumps are off by default; the KEK is locked into memory", .serialized)
struct CLICoreDumpTests {
    @Test("serve runs non-dumpable by default, as the kernel reports it (PR_GET_DUMPABLE), and dumpable with --allow-core-dumps in development")
    func developmentDefaultAndDebugging() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path
        let (port, _) = try CLIServeProductionTests.ports()
        let plain = try await CLIServeProductionTests.serve(["--data", data, "--port", "\(port)", "--metrics-listen", "off"],
                                                            environment: CLIServer.environment())
        #expect(plain.started, "\(plain.output)")
        #expect(plain.output.contains("core dumps: off (the process is not dumpable)"), "\(plain.output)")
        let debugging = try await CLIServeProductionTests.serve(["--data", data, "--port", "\(port)", "--metrics-listen", "off", "--allow-core-dumps"],
                                                                environment: CLIServer.environment())
        #expect(debugging.started, "\(debugging.output)")
        #expect(debugging.output.contains("core dumps: ALLOWED"), "\(debugging.output)")
    }

    @Test("production mode refuses --allow-core-dumps before it opens any store")
    func productionRefuses() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kek = directory.appendingPathComponent("keybound.kek")
        try CLIServeProductionTests.writeKEK(to: kek)
        let data = directory.appendingPathComponent("data")
        let (port, _) = try CLIServeProductionTests.ports()
        let refused = try await CLIServeProductionTests.serve(["--no-bootstrap", "--data", data.path, "--port", "\(port)", "--metrics-listen", "off",
                                                               "--allow-core-dumps"], environment: CLIServer.environment(["KEYBOUND_KEK_FILE": kek.path]))
        #expect(!refused.started, "\(refused.output)")
        #expect(refused.status != 0)
        #expect(refused.output.contains("--allow-core-dumps is for debugging"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: data.path), "no store was opened or created")
    }

    /// `keybound serve` without `CAP_IPC_LOCK` and with `RLIMIT_MEMLOCK` at 0 (util-linux's
    /// `setpriv` and `prlimit`), so the kernel refuses every `mlock`, even for root.
    static func serveWithoutMemoryLock(_ arguments: [String], environment: [String: String]) async throws -> (started: Bool, output: String) {
        let process = try SpawnedProcess("/usr/bin/setpriv", ["--bounding-set=-ipc_lock", "/usr/bin/prlimit", "--memlock=0:0",
                                                              CLIRunner.executable.path, "serve"] + arguments,
                                         environment: environment, stdout: .capture, stderr: .standardOutput)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning, !process.capturedOutput.contains("Keybound listening") {
            try await Task.sleep(for: .milliseconds(50))
        }
        let started = process.capturedOutput.contains("Keybound listening")
        process.send(SIGTERM)
        _ = await process.wait()
        return (started, process.capturedOutput)
    }

    @Test("when the kernel refuses to lock the KEK into memory, production mode does not start and names RLIMIT_MEMLOCK; development starts with a warning")
    func kekMustBeLockedInProduction() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kek = directory.appendingPathComponent("keybound.kek")
        try CLIServeProductionTests.writeKEK(to: kek)
        let (port, _) = try CLIServeProductionTests.ports()
        let production = try await Self.serveWithoutMemoryLock(
            ["--no-bootstrap", "--data", directory.appendingPathComponent("prod").path, "--port", "\(port)", "--metrics-listen", "off"],
            environment: CLIServer.environment(["KEYBOUND_KEK_FILE": kek.path]))
        #expect(!production.started, "\(production.output)")
        #expect(production.output.contains("RLIMIT_MEMLOCK") && production.output.contains("production mode"), "\(production.output)")

        let development = try await Self.serveWithoutMemoryLock(
            ["--data", directory.appendingPathComponent("dev").path, "--port", "\(port)", "--metrics-listen", "off"],
            environment: CLIServer.environment())
        #expect(development.started, "\(development.output)")
        #expect(development.output.contains("warning: the key-encryption key could not be locked into memory"), "\(development.output)")

        // With the lock allowed (root here has CAP_IPC_LOCK), production starts and says nothing of it.
        let allowed = try await CLIServeProductionTests.serve(
            ["--no-bootstrap", "--data", directory.appendingPathComponent("prod").path, "--port", "\(port)", "--metrics-listen", "off"],
            environment: CLIServer.environment(["KEYBOUND_KEK_FILE": kek.path]))
        #expect(allowed.started, "\(allowed.output)")
        #expect(!allowed.output.contains("RLIMIT_MEMLOCK"), "\(allowed.output)")
    }
}
