import Foundation

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
    static func start(_ arguments: [String], environment: [String: String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = Self.environment(environment)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    static func finish(_ started: (Process, Pipe, Pipe)) -> Outcome {
        let (process, out, err) = started
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func run(_ arguments: [String], environment: [String: String]) throws -> Outcome {
        finish(try start(arguments, environment: environment))
    }

    /// Writes a KEK file (base64) beside, not inside, the data directory and returns its path.
    static func writeKEKFile(_ base64: String, near directory: URL) throws -> String {
        let path = directory.deletingLastPathComponent().appendingPathComponent("\(directory.lastPathComponent)-\(UUID().uuidString).kek").path
        try Data((base64 + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
