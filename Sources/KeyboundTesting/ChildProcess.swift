import Foundation

/// A child process run to completion without blocking a Swift concurrency thread.
///
/// Swift Testing runs tests concurrently on the cooperative pool (two threads on a two-core
/// machine). A test that blocked one of them waiting for a process (`waitUntilExit`, a pipe read)
/// would stall every in-process server the other tests run, and could deadlock the run. The child
/// is a ``SpawnedProcess``: its pipes are drained on threads of their own and its exit is
/// collected on another.
package struct ChildProcess: Sendable {
    /// Exit status and everything written to standard output and standard error.
    package struct Outcome: Sendable {
        package let status: Int32
        package let stdout: String
        package let stderr: String
    }

    /// A process that was started; ``wait()`` collects its outcome.
    package struct Running: Sendable {
        package let process: SpawnedProcess

        /// Waits for the exit and for both pipes to close.
        package func wait() async -> Outcome {
            let termination = await process.wait()
            return Outcome(status: termination.status, stdout: process.capturedOutput, stderr: process.capturedErrors)
        }
    }

    /// Starts `executable` with `arguments`, `environment` (inherited when `nil`) and `stdin`.
    package static func start(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                      stdin: String? = nil) throws -> Running {
        Running(process: try SpawnedProcess(executable.path, arguments, environment: environment, input: stdin ?? ""))
    }

    /// Runs `executable` to completion.
    package static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                    stdin: String? = nil) async throws -> Outcome {
        await (try start(executable, arguments, environment: environment, stdin: stdin)).wait()
    }
}
