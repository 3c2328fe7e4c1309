import Foundation
import Keybound

/// What `keybound keys status` shows: each issuer's keys, their ages and next transitions, and the
/// problems that must page someone (an active key past its maximum age, a rotation overdue).
public struct KeyStatusReport: Sendable {
    /// One issuer's keys.
    public struct IssuerStatus: Sendable {
        /// The issuer.
        public let issuer: IssuerRecord
        /// Its keys in every state, oldest first.
        public let keys: [KeyRecord]
        /// The next transition the engine will make, and when.
        public let nextTransition: String?
    }

    /// Per issuer.
    public let issuers: [IssuerStatus]
    /// Problems, one line each; empty when healthy.
    public let problems: [String]
    /// When the report was made.
    public let now: Date

    /// How late a scheduled transition may be before it counts as overdue (a tick runs at least this often).
    public static let tolerance: TimeInterval = 3_600

    /// Whether nothing needs attention.
    public var isHealthy: Bool { problems.isEmpty }

    /// Builds the report from the store's state at `now`.
    public init(issuers: [IssuerRecord], keys: [KeyRecord], now: Date) {
        var statuses: [IssuerStatus] = []
        var problems: [String] = []
        for issuer in issuers {
            let own = keys.filter { $0.issuerID.isExactly(issuer.id) }
            let active = own.first { $0.state == .active }
            let pending = own.first { $0.state == .pending }
            var next: String? = nil
            if let active, let activatedAt = active.activatedAt {
                let age = now.timeIntervalSince(activatedAt)
                if age > issuer.maximumKeyAge {
                    problems.append("issuer '\(issuer.id)': active key '\(active.keyID)' is \(DurationText.text(age)) old, past the maximum key age of \(DurationText.text(issuer.maximumKeyAge))")
                } else if age > issuer.rotationPeriod + Self.tolerance {
                    problems.append("issuer '\(issuer.id)': rotation overdue: active key '\(active.keyID)' is \(DurationText.text(age)) old, the rotation period is \(DurationText.text(issuer.rotationPeriod))")
                }
                if let pending, let scheduled = pending.scheduledActivation {
                    if now > scheduled.addingTimeInterval(Self.tolerance) {
                        problems.append("issuer '\(issuer.id)': activation of pending key '\(pending.keyID)' is overdue since \(scheduled.formatted(.iso8601))")
                    }
                    next = "activate '\(pending.keyID)' at \(scheduled.formatted(.iso8601))"
                } else {
                    let publishAt = activatedAt.addingTimeInterval(issuer.rotationPeriod - issuer.publishLeadTime)
                    next = "publish the next key at \(publishAt.formatted(.iso8601))"
                }
            } else if !own.isEmpty {
                problems.append("issuer '\(issuer.id)' has no active key")
            }
            for key in own where key.state == .verifyOnly {
                if let until = key.verifyUntil, now > until.addingTimeInterval(Self.tolerance) {
                    problems.append("issuer '\(issuer.id)': retirement of verify-only key '\(key.keyID)' is overdue since \(until.formatted(.iso8601))")
                }
            }
            statuses.append(IssuerStatus(issuer: issuer, keys: own, nextTransition: next))
        }
        self.issuers = statuses
        self.problems = problems
        self.now = now
    }
}

extension KeyManager {
    /// The status of every issuer's keys at `now`.
    public func status(now: Date) throws(StoreError) -> KeyStatusReport {
        let (issuers, keys) = try read { session in (try session.issuers(), try session.keys(issuerID: nil)) }
        return KeyStatusReport(issuers: issuers, keys: keys, now: now)
    }
}
