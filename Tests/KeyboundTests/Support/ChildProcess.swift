import Foundation

/// A child process run to completion without blocking a Swift concurrency thread.
///
/// Swift Testing runs tests concurrently on the cooperative pool (two threads on a two-core
/// machine). A test that blocked one of them waiting for a process (`waitUntilExit`, a pipe read)
/// would stall every in-process server the other tests run, and could deadlock the run. Here the
/// pipes are drained on threads of their own and the exit arrives through `terminationHandler`.
struct ChildProcess: Sendable {
    /// Exit status and everything written to standard output and standard error.
    struct Outcome: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// A process that was started; ``wait()`` collects its outcome.
    final class Running: @unchecked Sendable {
        private let process: Process
        private let exited: Task<Int32, Never>
        private let output: Task<Data, Never>
        private let errors: Task<Data, Never>

        fileprivate init(process: Process, exited: Task<Int32, Never>, out: Pipe, err: Pipe) {
            self.process = process
            self.exited = exited
            output = Task.detached { await Self.drain(out) }
            errors = Task.detached { await Self.drain(err) }
        }

        /// Waits for the exit and for both pipes to close.
        func wait() async -> Outcome {
            let status = await exited.value
            return Outcome(status: status, stdout: String(decoding: await output.value, as: UTF8.self),
                           stderr: String(decoding: await errors.value, as: UTF8.self))
        }

        /// Reads a pipe to its end on a dedicated thread.
        private static func drain(_ pipe: Pipe) async -> Data {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
            }
        }
    }

    /// Starts `executable` with `arguments`, `environment` (inherited when `nil`) and `stdin`.
    static func start(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                      stdin: String? = nil) throws -> Running {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let exited = Task<Int32, Never> {
            for await status in stream { return status }
            return -1
        }
        return Running(process: process, exited: exited, out: out, err: err)
    }

    /// Runs `executable` to completion.
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                    stdin: String? = nil) async throws -> Outcome {
        await (try start(executable, arguments, environment: environment, stdin: stdin)).wait()
    }
}
