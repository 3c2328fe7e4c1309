import Foundation
import Testing
import KeyboundTesting

/// A `keybound serve` process started by a test: its output is collected as it arrives, so the
/// test can wait for the listening line, talk to it over loopback, and stop it with SIGTERM.
final class CLIServer: Sendable {
    let process: SpawnedProcess

    /// Starts `keybound` with `arguments` and exactly `environment`.
    init(_ arguments: [String], environment: [String: String]) throws {
        process = try SpawnedProcess(CLIRunner.executable.path, arguments, environment: environment,
                                     stdout: .capture, stderr: .standardOutput)
    }

    /// Everything printed so far (stdout and stderr).
    var text: String { process.capturedOutput }

    /// Waits until the output contains `marker` (true) or the process exits or `seconds` pass (false).
    func waitFor(_ marker: String, seconds: Double = 120) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if text.contains(marker) { return true }
            if !process.isRunning {
                await process.wait()  // the last lines may still be in the pipe
                return text.contains(marker)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Sends SIGTERM and waits for the exit; returns the status (128 + the signal if a signal ended it).
    /// Output the child wrote just before it ended may still be in the pipe: a test that reads
    /// ``text`` after a stop calls ``drainOutput()`` first.
    /// A server still running after `grace` seconds is killed (SIGKILL, status 137), so a stuck
    /// child never holds the test's thread for good (this wait blocks it: `defer` cannot await).
    @discardableResult
    func stop(grace: Double = 20) -> Int32 {
        process.send(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if let termination = process.termination { return termination.status }
            usleep(5_000)
        }
        process.send(SIGKILL)
        return process.waitBlocking().status
    }

    /// Waits until everything the child wrote has been read (its pipe reached its end).
    func drainOutput() async { await process.wait() }

    /// A minimal environment for a child: PATH and HOME only, plus `extra` (no inherited KEK or token).
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["PATH": inherited["PATH"] ?? "/usr/bin:/bin", "HOME": inherited["HOME"] ?? "/tmp"]
        environment.merge(extra) { _, new in new }
        return environment
    }
}
