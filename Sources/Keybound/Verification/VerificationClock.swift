import Foundation

/// Where a verifier reads the current time. It is read once per verification, never implicitly elsewhere.
public struct VerificationClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that reads `read` each time.
    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    /// The system wall clock.
    public static let system = VerificationClock { Date() }

    /// A clock that always answers `date` (tests, `keybound token verify --now`).
    public static func fixed(_ date: Date) -> VerificationClock { VerificationClock { date } }

    /// The current time.
    public func now() -> Date { read() }
}
