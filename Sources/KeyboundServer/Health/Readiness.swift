import Foundation
import Synchronization

/// Whether this node should be sent requests: every store it serves from answers a read.
///
/// `/health/live` only says the process runs (a supervisor restarts it when that fails);
/// `/health/ready` says whether a load balancer may route to it (``Report/isReady``), and names
/// each check's outcome. The route is unauthenticated, so it is bounded: a report is reused for
/// ``cacheSeconds`` and concurrent callers share one round of probes, so however often it is
/// called, the stores see at most one small read per probe per ``cacheSeconds``. A probe that
/// takes longer than ``probeTimeoutSeconds`` counts as failed.
public final class Readiness: Sendable {
    /// One check: a name for the report and a cheap read that returns whether it succeeded.
    public struct Probe: Sendable {
        /// The check's name in the report, for example `provider_store`.
        public let name: String
        /// Runs the check.
        public let check: @Sendable () async -> Bool

        /// A probe named `name`.
        public init(name: String, check: @escaping @Sendable () async -> Bool) {
            self.name = name
            self.check = check
        }
    }

    /// One round of probes.
    public struct Report: Sendable, Equatable {
        /// Each probe's name and whether it passed, in the order the probes were given.
        public let checks: [(name: String, passed: Bool)]
        /// Whether every probe passed.
        public var isReady: Bool { checks.allSatisfy(\.passed) }

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.checks.map(\.name) == rhs.checks.map(\.name) && lhs.checks.map(\.passed) == rhs.checks.map(\.passed)
        }
    }

    private struct State {
        var last: (report: Report, at: Double)?
        var running: Task<Report, Never>?
    }

    private let probes: [Probe]
    private let state = Mutex(State())
    private let clock: @Sendable () -> Double
    /// How long a report is reused, in seconds.
    public let cacheSeconds: Double
    /// How long a probe may take before it counts as failed, in seconds.
    public let probeTimeoutSeconds: Double

    /// Readiness over `probes`; `clock` (seconds, monotonic) is for tests.
    public init(probes: [Probe], cacheSeconds: Double = 1, probeTimeoutSeconds: Double = 2,
                clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.probes = probes
        self.cacheSeconds = cacheSeconds
        self.probeTimeoutSeconds = probeTimeoutSeconds
        self.clock = clock
    }

    /// The current report: a recent one, the round in progress, or a new round.
    public func report() async -> Report {
        let now = clock()
        let found: (cached: Report?, task: Task<Report, Never>?) = state.withLock { state in
            if let last = state.last, now - last.at < cacheSeconds { return (last.report, nil) }
            if let running = state.running { return (nil, running) }
            let running = Task { [probes, probeTimeoutSeconds] in
                var checks: [(name: String, passed: Bool)] = []
                for probe in probes {
                    checks.append((probe.name, await Self.run(probe, timeoutSeconds: probeTimeoutSeconds)))
                }
                return Report(checks: checks)
            }
            state.running = running
            return (nil, running)
        }
        if let cached = found.cached { return cached }
        guard let task = found.task else { return Report(checks: []) }
        let report = await task.value
        state.withLock { state in
            if state.running == task {
                state.running = nil
                state.last = (report, clock())
            }
        }
        return report
    }

    /// The probe's outcome, or `false` once `timeoutSeconds` pass (the probe may go on, unawaited:
    /// a read stuck on a dead database must not hold the report).
    private static func run(_ probe: Probe, timeoutSeconds: Double) async -> Bool {
        let outcome = FirstOutcome()
        return await withCheckedContinuation { continuation in
            outcome.set(continuation)
            Task { outcome.resume(await probe.check()) }
            Task {
                try? await Task.sleep(for: .milliseconds(Int(timeoutSeconds * 1_000)))
                outcome.resume(false)
            }
        }
    }
}

/// Resumes a continuation with whichever outcome arrives first.
private final class FirstOutcome: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation.withLock { $0 = continuation } }

    func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
}
