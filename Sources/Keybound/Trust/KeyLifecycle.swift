import Foundation

/// When a trusted key may have signed, and until when it verifies.
///
/// The product's states map onto it: *pending* has no ``activeFrom``; *active* has an
/// ``activeFrom`` and no ``activeUntil``; *verify-only* has both and a ``verifyUntil``; *revoked* has
/// a ``revocation``. A token is accepted only if its `iat` lies inside the key's active window, which
/// ends at ``activeUntil`` or at ``activeFrom`` + ``maximumAge``, whichever comes first.
public struct KeyLifecycle: Sendable, Equatable {
    /// A revocation: the key verifies nothing from then on.
    public struct Revocation: Sendable, Equatable {
        /// When it was revoked.
        public var at: Date
        /// Why, for the rejection reason and the record.
        public var reason: String

        /// Creates a revocation record.
        public init(at: Date, reason: String) {
            self.at = at
            self.reason = reason
        }
    }

    /// Whether the key is published but not yet allowed to sign (it verifies nothing).
    public var isPending: Bool
    /// The first moment the key may have signed; `nil` means no lower bound (or pending).
    public var activeFrom: Date?
    /// The last moment the key may have signed; `nil` means it still signs.
    public var activeUntil: Date?
    /// After this moment the key verifies nothing (it is retired); `nil` means no bound.
    public var verifyUntil: Date?
    /// The key signs for at most this long after ``activeFrom``; `nil` means no bound.
    public var maximumAge: TimeInterval?
    /// Set once the key is revoked.
    public var revocation: Revocation?

    /// Creates a lifecycle window.
    public init(
        isPending: Bool = false, activeFrom: Date? = nil, activeUntil: Date? = nil,
        verifyUntil: Date? = nil, maximumAge: TimeInterval? = nil, revocation: Revocation? = nil
    ) {
        self.isPending = isPending
        self.activeFrom = activeFrom
        self.activeUntil = activeUntil
        self.verifyUntil = verifyUntil
        self.maximumAge = maximumAge
        self.revocation = revocation
    }

    /// A key with no window of its own (a plain JWKS entry): only its certificate, if any, bounds it.
    public static let unbounded = KeyLifecycle()

    /// The end of the active window: the earlier of ``activeUntil`` and ``activeFrom`` + ``maximumAge``.
    public var effectiveActiveUntil: Date? {
        let ageLimit = activeFrom.flatMap { start in maximumAge.map { start.addingTimeInterval($0) } }
        switch (activeUntil, ageLimit) {
        case let (until?, limit?): return min(until, limit)
        case let (until?, nil): return until
        case let (nil, limit?): return limit
        case (nil, nil): return nil
        }
    }
}
