import Foundation
import Testing
import KeyboundTesting

/// `keybound dev churn` runs until killed; it must not outlive the process that started it.
@Suite("CLI: dev churn never outlives its parent")
struct ChurnOrphanTests {
    @Test("when its parent exits, the churn loop stops by itself")
    func orphanStops() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The shell starts churn in the background, prints its pid, lets it start, and exits:
        // churn is orphaned mid-loop, as when a test process dies.
        let shell = try SpawnedProcess("/bin/sh", ["-c", "'\(CLIRunner.executable.path)' dev churn --data '\(directory.path)/data' "
                                                   + ">/dev/null 2>&1 & echo $!; sleep 3"],
                                       environment: CLIServer.environment(["KEYBOUND_KEK": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]))
        #expect(await shell.wait() == .exited(0))
        let pid = try #require(pid_t(shell.capturedOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        let alive = kill(pid, 0) == 0
        if alive { kill(pid, SIGKILL) }
        #expect(!alive, "the orphaned churn loop was still running after 60 s")
    }
}
