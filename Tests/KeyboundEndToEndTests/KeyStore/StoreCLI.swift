import Foundation
import KeyboundTesting

/// Runs the built `keybound` executable against a data directory, with the KEK given through the environment.
enum StoreCLI {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `keybound` binary next to the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keybound")
    }

    /// The inherited environment without any KEK or data setting, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["KEYBOUND_KEK", "KEYBOUND_KEK_FILE", "KEYBOUND_DATA"] { environment[name] = nil }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Starts a process (the caller waits with ``finish(_:)``).
    static func start(_ arguments: [String], environment: [String: String]) throws -> ChildProcess.Running {
        try ChildProcess.start(executable, arguments, environment: Self.environment(environment))
    }

    static func finish(_ started: ChildProcess.Running) async -> Outcome {
        let outcome = await started.wait()
        return Outcome(status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr)
    }

    static func run(_ arguments: [String], environment: [String: String]) async throws -> Outcome {
        await finish(try start(arguments, environment: environment))
    }

    /// Writes a KEK file (base64) beside, not inside, the data directory and returns its path.
    static func writeKEKFile(_ base64: String, near directory: URL) throws -> String {
        let path = directory.deletingLastPathComponent().appendingPathComponent("\(directory.lastPathComponent)-\(UUID().uuidString).kek").path
        try Data((base64 + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
