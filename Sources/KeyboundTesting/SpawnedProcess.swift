import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process of a test, started with `posix_spawn`.
///
/// Not Foundation's `Process`: on Linux its `run()` lists `/proc/self/fd` to close what the child
/// must not inherit, and copies each entry's whole 256-byte name field out of glibc's directory
/// buffer, past the entry's real end. With the thousands of descriptors a full test run holds
/// open, that copy now and then runs off the end of a mapping and the whole test process dies of
/// SIGSEGV in `Process.run()` (`__memcpy_avx512_unaligned_erms`): seen in CI, and again in three
/// local runs of the suite. Here the child closes every inherited descriptor above 2 with glibc's
/// `posix_spawn_file_actions_addclosefrom_np`, which needs no listing.
///
/// Nothing here blocks a Swift concurrency thread: the exit is collected by `waitpid` on a
/// dedicated thread, and captured output is drained by threads of its own.
package final class SpawnedProcess: Sendable {
    /// Where a standard stream of the child goes.
    package enum Output: Sendable {
        /// `/dev/null`.
        case null
        /// Appended to a file (created if missing).
        case file(String)
        /// Captured in memory (``capturedOutput`` / ``capturedErrors``).
        case capture
        /// Standard error only: wherever standard output goes.
        case standardOutput
    }

    package struct SpawnFailure: Error, CustomStringConvertible {
        package let description: String
    }

    /// How the child ended.
    package enum Termination: Sendable, Equatable {
        /// It called `exit` with this status.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)

        /// The exit status, or 128 + the signal number, as a shell reports it.
        package var status: Int32 {
            switch self {
            case .exited(let status): status
            case .signalled(let signal): 128 + signal
            }
        }
    }

    private struct State {
        package var termination: Termination?
        package var waiters: [CheckedContinuation<Termination, Never>] = []
    }

    /// The child's process id.
    package let pid: pid_t
    private let state = Mutex(State())
    private let stdoutCapture: Capture?
    private let stderrCapture: Capture?

    /// Starts `executable` (a path, or a name looked up on `PATH`) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; `nil` inherits this process's.
    ///   - directory: the child's working directory (`nil`: this process's).
    ///   - input: written to the child's standard input, which is then closed (`nil`: `/dev/null`).
    package init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
         input: String? = nil, stdout: Output = .capture, stderr: Output = .capture) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }

        func pipePair() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw SpawnFailure(description: "pipe failed: errno \(errno)") }
            // Children spawned here close everything above 2 anyway; close-on-exec covers any other spawner.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }

        var inputPipe: (read: Int32, write: Int32)?
        if input != nil {
            let pair = try pipePair()
            inputPipe = pair
            childEnds.append(pair.read)
            posix_spawn_file_actions_adddup2(&actions, pair.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }

        var captures: [Int32: Capture] = [:]
        for (fd, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .capture:
                let pair = try pipePair()
                childEnds.append(pair.write)
                parentEnds.append(pair.read)
                posix_spawn_file_actions_adddup2(&actions, pair.write, fd)
                captures[fd] = Capture(descriptor: pair.read)
            case .standardOutput:
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            }
        }
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw SpawnFailure(description: "addclosefrom failed") }
        if let directory, Self.addChdir(&actions, directory) != 0 {
            throw SpawnFailure(description: "addchdir failed")
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environmentPairs = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            environmentPairs.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = executable.contains("/")
            ? posix_spawn(&child, executable, &actions, nil, argv, environmentPairs)
            : posix_spawnp(&child, executable, &actions, nil, argv, environmentPairs)
        guard spawned == 0 else {
            parentEnds.forEach { close($0) }
            if let inputPipe { close(inputPipe.write) }
            throw SpawnFailure(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        pid = child
        stdoutCapture = captures[1]
        stderrCapture = captures[2]
        for capture in captures.values { capture.start() }
        if let inputPipe, let input {
            Thread.detachNewThread {
                var bytes = Array(input.utf8)[...]
                while !bytes.isEmpty {
                    let written = bytes.withUnsafeBytes { write(inputPipe.write, $0.baseAddress, $0.count) }
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { break }
                    bytes = bytes.dropFirst(written)
                }
                close(inputPipe.write)
            }
        }
        Thread.detachNewThread { [self] in collectExit() }
    }

    /// Whether the child has not been reaped yet.
    package var isRunning: Bool { state.withLock { $0.termination == nil } }

    /// How it ended, or `nil` while it runs.
    package var termination: Termination? { state.withLock { $0.termination } }

    /// Waits for the exit (and for captured output to reach its end).
    @discardableResult
    package func wait() async -> Termination {
        let termination = await withCheckedContinuation { (continuation: CheckedContinuation<Termination, Never>) in
            let ended: Termination? = state.withLock { state in
                if state.termination == nil { state.waiters.append(continuation) }
                return state.termination
            }
            if let ended { continuation.resume(returning: ended) }
        }
        await stdoutCapture?.finished()
        await stderrCapture?.finished()
        return termination
    }

    /// Blocks the calling thread until the exit (for tests that run outside Swift concurrency).
    @discardableResult
    package func waitBlocking() -> Termination {
        while true {
            if let termination { return termination }
            usleep(2_000)
        }
    }

    /// Sends `signal` to the child (a no-op once it has been reaped).
    package func send(_ signal: Int32) {
        state.withLock { state in
            // Under the lock the pid cannot be reaped (and reused) between the check and the kill.
            if state.termination == nil { _ = kill(pid, signal) }
        }
    }

    /// Blocks until every captured stream has reached its end, or `seconds` pass; whether they all
    /// did. After the exit, the last bytes may still be in the pipe: read them before judging output.
    @discardableResult
    package func waitForCapturedOutput(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (stdoutCapture?.ended ?? true) && (stderrCapture?.ended ?? true) { return true }
            usleep(2_000)
        }
        return false
    }

    /// What the child wrote to a captured standard output so far.
    package var capturedOutput: String { stdoutCapture?.text ?? "" }
    /// What the child wrote to a captured standard error so far.
    package var capturedErrors: String { stderrCapture?.text ?? "" }

    private func collectExit() {
        // Wait without reaping first, then reap under the lock: ``send(_:)`` never signals a pid
        // that was reaped (and could already belong to another process).
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        let (termination, waiters) = state.withLock { state in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let low = status & 0x7f
            let termination: Termination = low == 0 ? .exited((status >> 8) & 0xff) : .signalled(low)
            state.termination = termination
            defer { state.waiters = [] }
            return (termination, state.waiters)
        }
        waiters.forEach { $0.resume(returning: termination) }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    // glibc (2.34 and 2.29 on) has both; its headers hide them from Swift's Glibc module.
    private static let addCloseFrom = unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np")!,
                                                    to: AddCloseFrom.self)
    private static let addChdir = unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np")!,
                                                to: AddChdir.self)
}

/// One captured stream: drained by a dedicated thread until the child closes it.
private final class Capture: Sendable {
    private struct State {
        package var bytes: [UInt8] = []
        package var ended = false
        package var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let descriptor: Int32
    private let state = Mutex(State())

    package init(descriptor: Int32) { self.descriptor = descriptor }

    package func start() {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                state.withLock { $0.bytes += buffer[0..<count] }
            }
            close(descriptor)
            let waiters = state.withLock { state in
                state.ended = true
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume() }
        }
    }

    package var text: String { String(decoding: state.withLock { $0.bytes }, as: UTF8.self) }

    /// Whether the child closed the stream and every byte has been read.
    package var ended: Bool { state.withLock { $0.ended } }

    package func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = state.withLock { state in
                if !state.ended { state.waiters.append(continuation) }
                return state.ended
            }
            if ended { continuation.resume() }
        }
    }
}
