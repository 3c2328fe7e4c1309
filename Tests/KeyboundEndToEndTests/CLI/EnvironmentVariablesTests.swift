import Foundation
import KeyboundServer
import Testing

/// Unknown `KEYBOUND_*` variables are reported, and the list of known ones is the list the
/// sources read.
@Suite("CLI: unknown KEYBOUND_* environment variables")
struct EnvironmentVariablesTests {
    @Test("every KEYBOUND_* variable named in the sources is known, and every known one is named there")
    func knownIsWhatTheSourcesRead() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        var named: Set<String> = []
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /"(KEYBOUND_[A-Z0-9_]+)"/) { named.insert(String(match.1)) }
        }
        #expect(named.count > 20, "the sources were not found at \(sources.path)")
        #expect(named.subtracting(EnvironmentVariables.known).isEmpty, "read but not known: \(named.subtracting(EnvironmentVariables.known).sorted())")
        #expect(EnvironmentVariables.known.subtracting(named).isEmpty, "known but read nowhere: \(EnvironmentVariables.known.subtracting(named).sorted())")
    }

    @Test("a mistyped variable is a warning with the closest name; its value is never shown; the command still runs")
    func typoIsReported() async throws {
        let outcome = try await CLIRunner.run(["--help"], environment: [
            "KEYBOUND_PROT": "9999", "KEYBOUND_ADMIN_TOKEN_FLIE": "/secret/path-not-shown", "KEYBOUND_PORT": "8081",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.contains("KEYBOUND_PROT (did you mean KEYBOUND_PORT?)"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("KEYBOUND_ADMIN_TOKEN_FLIE (did you mean KEYBOUND_ADMIN_TOKEN_FILE?)"))
        #expect(!outcome.stderr.contains("9999") && !outcome.stderr.contains("/secret/path-not-shown"))
        #expect(!outcome.stderr.contains("KEYBOUND_PORT "), "a known variable is not reported")
    }
}
