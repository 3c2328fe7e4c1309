import Foundation
import Synchronization
import Testing

/// A `keybound serve` process started by a test: its output is collected as it arrives, so the
/// test can wait for the listening line, talk to it over loopback, and stop it with SIGTERM.
final class CLIServer: Sendable {
    /// The output collected so far, shared with the pipe's handler.
    final class Collected: Sendable {
        let text = Mutex("")
    }

    let process: Process
    private let output = Collected()

    /// Starts `keybound` with `arguments` and exactly `environment`.
    init(_ arguments: [String], environment: [String: String]) throws {
        process = Process()
        process.executableURL = CLIRunner.executable
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            if !data.isEmpty { output.text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try process.run()
    }

    /// Everything printed so far (stdout and stderr).
    var text: String { output.text.withLock { $0 } }

    /// Waits until the output contains `marker` (true) or the process exits or `seconds` pass (false).
    func waitFor(_ marker: String, seconds: Double = 120) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if text.contains(marker) { return true }
            if !process.isRunning { return text.contains(marker) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Sends SIGTERM and waits for the exit; returns the status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A minimal environment for a child: PATH and HOME only, plus `extra` (no inherited KEK or token).
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["PATH": inherited["PATH"] ?? "/usr/bin:/bin", "HOME": inherited["HOME"] ?? "/tmp"]
        environment.merge(extra) { _, new in new }
        return environment
    }
}
