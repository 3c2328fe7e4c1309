import Foundation
import Keybound
import KeyboundAudit
import Synchronization

/// The bounds on audit records of refused, unverified requests (see `docs/resource-kit.md`).
public struct RefusedAuditLimits: Sendable {
    /// Records per second each client address may cause, on average.
    public var perAddressRate: Double = 5
    /// Records a client address may cause in a burst.
    public var perAddressBurst: Double = 20
    /// Records per second all addresses together may cause, on average.
    public var overallRate: Double = 200
    /// Records all addresses together may cause in a burst.
    public var overallBurst: Double = 1_000
    /// How many client addresses are tracked; beyond it, idle ones are forgotten first.
    public var maximumAddresses = 10_000
    /// How long repeats of one alert attempt fold into one record.
    public var foldWindow: TimeInterval = 10
    /// How many distinct alert attempts may be folding at once; beyond it, each is written.
    public var maximumFolds = 10_000

    /// The defaults above.
    public init() {}
}

/// Bounds what refused, unverified requests can write to the audit log.
///
/// Anyone can send a resource junk tokens, so the records they cause must not grow without bound:
/// - a record with an alert code (``Keybound/TokenRejection/alertCodes``: a good signature where it
///   does not belong) is never dropped. Repeats of one attempt (same code, token claims, client
///   address, operation and resource) within ``RefusedAuditLimits/foldWindow`` fold into one record: the first
///   is written at once, and when the window closes one more record carries the number of
///   repeats in `attempt_count`;
/// - any other unverified record (a missing, malformed, expired or unknown token…) is rate-limited
///   per client address and overall; the excess is dropped and counted (``droppedCount``, and the
///   `keybound_<resource>_audit_dropped_total` metric).
///
/// Records of verified tokens never pass through here: every verified attempt is recorded.
final class UnverifiedAuditGate: Sendable {
    /// What to do with one unverified record.
    enum Decision: Equatable {
        /// Append it.
        case write
        /// A repeat within a fold window: counted, written later as part of a summary record.
        case folded
        /// Over the rate limit: not written, counted.
        case dropped
    }

    private struct Bucket {
        var tokens: Double
        var updated: Date

        mutating func take(rate: Double, burst: Double, now: Date) -> Bool {
            tokens = min(burst, tokens + max(0, now.timeIntervalSince(updated)) * rate)
            updated = now
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    private struct Fold {
        var record: AuditRecord
        var repeats: Int64 = 0
        let opened: Date

        /// The record that stands for the repeats (at the last one's time), if there were any.
        var summary: AuditRecord? {
            guard repeats > 0 else { return nil }
            var summary = record
            summary.attemptCount = repeats
            return summary
        }
    }

    private struct State {
        var addresses: [String: Bucket] = [:]
        var overall: Bucket
        var folds: [FoldKey: Fold] = [:]
        /// Summaries of windows that closed when a new attempt reopened them, not yet handed out.
        var closed: [AuditRecord] = []
        var dropped = 0
        var flushing = false
    }

    /// One alert attempt: its code, token claims, client address, operation and resource.
    private struct FoldKey: Hashable {
        let parts: [ExactString]

        init(_ record: AuditRecord) {
            parts = [record.rejectionCode, record.claimsDigest, record.clientIP, record.operation, record.resource]
                .map { ExactString($0 ?? "\u{0}") }
        }
    }

    let limits: RefusedAuditLimits
    private let state: Mutex<State>

    /// A gate with `limits` (the caller counts the records it drops in its metric).
    init(limits: RefusedAuditLimits = RefusedAuditLimits(), now: Date = Date()) {
        self.limits = limits
        state = Mutex(State(overall: Bucket(tokens: limits.overallBurst, updated: now)))
    }

    /// Unverified records dropped so far.
    var droppedCount: Int { state.withLock { $0.dropped } }

    /// Decides about one unverified record made at `now`.
    func admit(_ record: AuditRecord, now: Date) -> Decision {
        let isAlert = record.rejectionCode.map { TokenRejection.alertCodes.contains(RejectionCode(rawValue: $0)) } ?? false
        let decision: Decision = state.withLock { state in
            if isAlert { return Self.fold(record, now: now, state: &state, limits: limits) }
            let address = record.clientIP ?? "-"
            if state.addresses[address] == nil {
                if state.addresses.count >= limits.maximumAddresses { Self.forgetIdle(&state, limits: limits, now: now) }
                guard state.addresses.count < limits.maximumAddresses else {
                    state.dropped += 1
                    return .dropped
                }
                state.addresses[address] = Bucket(tokens: limits.perAddressBurst, updated: now)
            }
            guard state.addresses[address]!.take(rate: limits.perAddressRate, burst: limits.perAddressBurst, now: now),
                  state.overall.take(rate: limits.overallRate, burst: limits.overallBurst, now: now) else {
                state.dropped += 1
                return .dropped
            }
            return .write
        }
        return decision
    }

    /// The summary records of fold windows that have closed by `now` (each with its repeat count),
    /// removed from the gate. Windows without repeats close silently: their one record is written.
    func closedFolds(now: Date) -> [AuditRecord] {
        state.withLock { state in
            var closed = state.closed
            state.closed = []
            for (key, fold) in state.folds where now.timeIntervalSince(fold.opened) >= limits.foldWindow {
                state.folds[key] = nil
                if let summary = fold.summary { closed.append(summary) }
            }
            return closed.sorted { $0.time < $1.time }
        }
    }

    /// Keeps writing the summaries of closing fold windows with `write`, checking every
    /// `interval`, for as long as any window is open; a second call while it runs does nothing.
    func flushWhileFolding(every interval: Duration = .seconds(1), now: @escaping @Sendable () -> Date,
                           write: @escaping @Sendable (AuditRecord) async -> Void) {
        let start = state.withLock { state -> Bool in
            guard !state.flushing, !state.folds.isEmpty else { return false }
            state.flushing = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                try? await Task.sleep(for: interval)
                for summary in closedFolds(now: now()) { await write(summary) }
                let done = state.withLock { state -> Bool in
                    guard state.folds.isEmpty, state.closed.isEmpty else { return false }
                    state.flushing = false
                    return true
                }
                if done { return }
            }
        }
    }

    private static func fold(_ record: AuditRecord, now: Date, state: inout State, limits: RefusedAuditLimits) -> Decision {
        let key = FoldKey(record)
        if var fold = state.folds[key] {
            if now.timeIntervalSince(fold.opened) < limits.foldWindow {
                fold.repeats += 1
                fold.record.time = record.time
                state.folds[key] = fold
                return .folded
            }
            if let summary = fold.summary { state.closed.append(summary) }
            state.folds[key] = nil
        }
        if state.folds.count < limits.maximumFolds { state.folds[key] = Fold(record: record, opened: now) }
        return .write
    }

    private static func forgetIdle(_ state: inout State, limits: RefusedAuditLimits, now: Date) {
        let refill = limits.perAddressBurst / max(limits.perAddressRate, .leastNonzeroMagnitude)
        state.addresses = state.addresses.filter { now.timeIntervalSince($0.value.updated) < refill }
    }
}
