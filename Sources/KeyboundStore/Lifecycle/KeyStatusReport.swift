import Foundation
import Keybound

/// What `keybound keys status` shows: each issuer's keys (of every purpose), their ages and next
/// transitions, and the problems that must page someone (an active key past its maximum age, a
/// rotation overdue), per (issuer, purpose).
public struct KeyStatusReport: Sendable {
    /// One issuer's keys.
    public struct IssuerStatus: Sendable {
        /// The issuer.
        public let issuer: IssuerRecord
        /// Its keys in every state, oldest first.
        public let keys: [KeyRecord]
        /// The next transition the engine will make for each purpose, and when (the ID-token
        /// lifecycle's prefixed with `id-token: `), joined with "; ".
        public let nextTransition: String?
    }

    /// Per issuer.
    public let issuers: [IssuerStatus]
    /// Problems, one line each; empty when healthy.
    public let problems: [String]
    /// The ids of the issuers with at least one problem (an overdue rotation, activation or
    /// retirement, a key past its maximum age, no active key).
    public let issuersWithProblems: Set<String>
    /// When the report was made.
    public let now: Date

    /// How late a scheduled transition may be before it counts as overdue (a tick runs at least this often).
    public static let tolerance: TimeInterval = 3_600

    /// Whether nothing needs attention.
    public var isHealthy: Bool { problems.isEmpty }

    /// Builds the report from the store's state at `now`. Each (issuer, purpose) is judged on its
    /// own keys; a problem of the ID-token lifecycle names it ("issuer 'x' (ID-token key): …").
    public init(issuers: [IssuerRecord], keys: [KeyRecord], now: Date) {
        var statuses: [IssuerStatus] = []
        var problems: [String] = []
        var troubled: Set<String> = []
        for issuer in issuers {
            let own = keys.filter { $0.issuerID.isExactly(issuer.id) }
            var next: [String] = []
            for purpose in KeyPurpose.allCases {
                let judged = Self.judge(issuer, purpose: purpose, keys: own.filter { $0.purpose == purpose }, now: now)
                problems += judged.problems
                if !judged.problems.isEmpty { troubled.insert(issuer.id) }
                if let transition = judged.next { next.append(purpose == .accessToken ? transition : "\(purpose.rawValue): \(transition)") }
            }
            statuses.append(IssuerStatus(issuer: issuer, keys: own, nextTransition: next.isEmpty ? nil : next.joined(separator: "; ")))
        }
        self.issuers = statuses
        self.problems = problems
        self.issuersWithProblems = troubled
        self.now = now
    }

    /// The problems and the next transition of one (issuer, purpose).
    static func judge(_ issuer: IssuerRecord, purpose: KeyPurpose, keys own: [KeyRecord], now: Date) -> (problems: [String], next: String?) {
        var problems: [String] = []
        let subject = purpose == .accessToken ? "issuer '\(issuer.id)'" : "issuer '\(issuer.id)' (\(purpose.keyName))"
        let active = own.first { $0.state == .active }
        let pending = own.first { $0.state == .pending }
        var next: String? = nil
        if let active, let activatedAt = active.activatedAt {
            let age = now.timeIntervalSince(activatedAt)
            if age > issuer.maximumKeyAge {
                problems.append("\(subject): active key '\(active.keyID)' is \(DurationText.text(age)) old, past the maximum key age of \(DurationText.text(issuer.maximumKeyAge))")
            } else if age > issuer.rotationPeriod + tolerance {
                problems.append("\(subject): rotation overdue: active key '\(active.keyID)' is \(DurationText.text(age)) old, the rotation period is \(DurationText.text(issuer.rotationPeriod))")
            }
            if let pending, let scheduled = pending.scheduledActivation {
                if now > scheduled.addingTimeInterval(tolerance) {
                    problems.append("\(subject): activation of pending key '\(pending.keyID)' is overdue since \(scheduled.formatted(.iso8601))")
                }
                next = "activate '\(pending.keyID)' at \(scheduled.formatted(.iso8601))"
            } else {
                let publishAt = activatedAt.addingTimeInterval(issuer.rotationPeriod - issuer.publishLeadTime)
                next = "publish the next key at \(publishAt.formatted(.iso8601))"
            }
        } else if !own.isEmpty {
            problems.append("\(subject) has no active key")
        } else if purpose == .idToken {
            // A store from before key purposes: the next tick creates the ID-token key.
            next = "create the initial \(purpose.keyName) at the next tick"
        }
        for key in own where key.state == .verifyOnly {
            if let until = key.verifyUntil, now > until.addingTimeInterval(tolerance) {
                problems.append("\(subject): retirement of verify-only key '\(key.keyID)' is overdue since \(until.formatted(.iso8601))")
            }
        }
        return (problems, next)
    }
}

extension KeyManager {
    /// The status of every issuer's keys at `now`.
    public func status(now: Date) async throws(StoreError) -> KeyStatusReport {
        let (issuers, keys) = try await read { session in (try await session.issuers(), try await session.keys(issuerID: nil)) }
        return KeyStatusReport(issuers: issuers, keys: keys, now: now)
    }
}
