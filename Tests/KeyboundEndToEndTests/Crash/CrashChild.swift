import Foundation
@testable import keybound
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeyboundTesting

/// One run of `keybound dev churn` against a data directory, to be killed with SIGKILL.
///
/// Its stdout goes to a file (not a pipe), so an unread pipe can never stall the child and every
/// `step N` line the child wrote before it died is still there to read.
final class CrashChild {
    let process: SpawnedProcess
    let stdoutURL: URL
    let stderrURL: URL
    let startedAt = ContinuousClock.now

    /// The `keybound` binary next to the test bundle, as in `CLIRunner`.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keybound")
    }

    /// Starts `keybound dev churn --data <dataDirectory>` with `kek` (base64) in `KEYBOUND_KEK`.
    init(dataDirectory: URL, kekBase64: String, logDirectory: URL, run: Int, seed: UInt64) throws {
        stdoutURL = logDirectory.appendingPathComponent("churn-\(run).out")
        stderrURL = logDirectory.appendingPathComponent("churn-\(run).err")
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "KEYBOUND_KEK_FILE")
        environment.removeValue(forKey: "KEYBOUND_DATA")
        environment["KEYBOUND_KEK"] = kekBase64
        process = try SpawnedProcess(Self.executable.path, ["dev", "churn", "--data", dataDirectory.path, "--seed", String(seed)],
                                     environment: environment, stdout: .file(stdoutURL.path), stderr: .file(stderrURL.path))
    }

    /// The highest `step N` the child printed: each is printed only after its transaction committed.
    var stepsPrinted: Int {
        guard let data = FileManager.default.contents(atPath: stdoutURL.path) else { return 0 }
        // Only complete lines: the kill may cut the last write short.
        let text = String(decoding: data, as: UTF8.self)
        let complete = text.hasSuffix("\n") ? text : String(text[..<(text.lastIndex(of: "\n") ?? text.startIndex)])
        guard let last = complete.split(separator: "\n").last, last.hasPrefix("step ") else { return 0 }
        return Int(last.dropFirst(5)) ?? 0
    }

    var stderrText: String {
        String(decoding: FileManager.default.contents(atPath: stderrURL.path) ?? Data(), as: UTF8.self)
    }

    /// Waits until the child has printed at least `steps` steps; `false` on timeout or if it exited.
    func waitForSteps(_ steps: Int, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stepsPrinted >= steps { return true }
            if !process.isRunning { return stepsPrinted >= steps }
            usleep(1_000)
        }
        return false
    }

    /// Sleeps until `delay` after the child was started (returns at once if that has passed).
    func sleep(untilSinceStart delay: Duration) {
        let target = startedAt + delay
        let remaining = target - ContinuousClock.now
        if remaining > .zero { Self.sleep(remaining) }
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }

    /// Sends SIGKILL; `false` if the child had already exited by itself.
    func kill() -> Bool {
        let wasRunning = process.isRunning
        process.send(SIGKILL)
        return wasRunning
    }

    /// Whether the child ended by SIGKILL (and not by exiting on its own).
    var diedOfSIGKILL: Bool { process.termination == .signalled(SIGKILL) }
}

/// The churn tool's seeded generator (SplitMix64), so a failing run can be replayed with `KEYBOUND_CRASH_SEED`.
typealias CrashRandom = SplitMix64
