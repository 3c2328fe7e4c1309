import Foundation

/// How failed sign-ins slow down further attempts for one key (an account, or a client address):
/// `allowance` failures are free, then each further failure doubles the wait, from `initialDelay`
/// up to `maximumDelay` and never beyond; one failure is forgotten every `decayInterval`. There
/// is no permanent lockout: after the wait, an attempt is always let through.
public struct BackoffPolicy: Sendable, Equatable {
    /// Failures allowed before any wait.
    public var allowance: Int
    /// The wait after the first failure beyond the allowance.
    public var initialDelay: TimeInterval
    /// The longest wait.
    public var maximumDelay: TimeInterval
    /// One failure is forgotten per interval without a success.
    public var decayInterval: TimeInterval
    /// Whether a successful sign-in clears the failures (accounts: yes; addresses: no, or one valid
    /// account would reset an attacker's address).
    public var resetsOnSuccess: Bool
    /// The most keys remembered; beyond, expired keys and then the oldest are forgotten.
    public var capacity: Int

    /// A policy.
    public init(allowance: Int, initialDelay: TimeInterval, maximumDelay: TimeInterval, decayInterval: TimeInterval,
                resetsOnSuccess: Bool, capacity: Int) {
        self.allowance = allowance
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.decayInterval = decayInterval
        self.resetsOnSuccess = resetsOnSuccess
        self.capacity = capacity
    }

    /// Per (issuer, username): 5 free failures, then 1 s, 2 s, 4 s … up to 5 minutes; one failure
    /// forgotten every 15 minutes; a success clears it. 65,536 accounts remembered.
    public static let account = BackoffPolicy(allowance: 5, initialDelay: 1, maximumDelay: 300, decayInterval: 900,
                                              resetsOnSuccess: true, capacity: 65_536)

    /// Per client address (IPv4 address, or IPv6 /64): 20 free failures, then 1 s, 2 s … up to one
    /// minute; one failure forgotten every 30 seconds. 65,536 addresses remembered.
    public static let address = BackoffPolicy(allowance: 20, initialDelay: 1, maximumDelay: 60, decayInterval: 30,
                                              resetsOnSuccess: false, capacity: 65_536)

    /// The wait after `failures` failures: zero within the allowance.
    func delay(afterFailures failures: Int) -> TimeInterval {
        guard failures >= allowance else { return 0 }
        let doublings = failures - allowance
        guard doublings < 62 else { return maximumDelay }
        return min(maximumDelay, initialDelay * Double(1 << doublings))
    }
}
