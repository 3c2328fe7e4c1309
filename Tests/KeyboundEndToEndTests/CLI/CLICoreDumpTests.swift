import Foundation
import Testing
import KeyboundTesting

/// `keybound` makes its process non-dumpable before it reads any key; `serve --allow-core-dumps`
/// turns dumps back on for debugging, and production mode refuses it.
@Suite("CLI: core dumps are off by default", .serialized)
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
}
