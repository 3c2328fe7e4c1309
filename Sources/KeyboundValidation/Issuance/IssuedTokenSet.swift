import Foundation
import Keybound
import Synchronization

/// What a validator holds of its issuers' issuance feeds: for each (issuer, `jti`), by exact bytes,
/// the token's `exp` and the first 128 bits of the SHA-256 of its claims. The structure is exact
/// (no probabilistic membership) and capped: once ``maximumEntries`` are held, a new entry is not
/// kept, and until every entry refused that way has expired the set is not *complete*: a token it
/// does not hold may still have been issued, so the check asks the provider instead of refusing.
///
/// Expired entries are dropped as new ones arrive (whenever the set has doubled since the last
/// sweep, and whenever it is full), so it holds about one token lifetime of issuance.
public final class IssuedTokenSet: Sendable {
    /// What the set says about a token.
    public enum Lookup: Sendable, Equatable {
        /// Held, with the same claims.
        case issued
        /// Held, with other claims: the token was altered, or its `jti` reused by a forger.
        case claimsMismatch
        /// Not held.
        case notHeld
    }

    /// A request waiting for an entry, and the timer that ends its wait (cancelled when the entry comes).
    private struct Waiter {
        let continuation: CheckedContinuation<Bool, Never>
        var timer: Task<Void, Never>?
    }

    struct Entry: Equatable {
        var expiresAt: Int64
        var digestHigh: UInt64
        var digestLow: UInt64
    }

    private struct State {
        var entries: [VerifiedTokenCache.TokenKey: Entry] = [:]
        var sweptAtCount = 1_024
        /// The latest `exp` of an entry refused because the set was full.
        var incompleteUntil: Int64 = .min
        var waiters: [VerifiedTokenCache.TokenKey: [UInt64: Waiter]] = [:]
        var nextWaiter: UInt64 = 0
    }

    /// The most entries held.
    public let maximumEntries: Int
    private let state = Mutex(State())

    /// An empty set holding at most `maximumEntries` (at least 1).
    public init(maximumEntries: Int = 1_000_000) {
        self.maximumEntries = max(1, maximumEntries)
    }

    /// Adds the feed entry of `issuer`'s token `tokenID` whose claims digest (SHA-256 of the JWS
    /// payload) is `claimsDigest`; returns whether it is held. An entry already held keeps the
    /// digest it was first given. Anyone waiting for the token (``waitForEntry(issuer:tokenID:timeout:)``) is woken.
    @discardableResult
    public func insert(issuer: String, tokenID: String, claimsDigest: [UInt8], expiresAt: Date, now: Date) -> Bool {
        let key = Self.key(issuer, tokenID)
        let entry = Entry(expiresAt: Self.seconds(expiresAt), digestHigh: Self.word(claimsDigest, 0), digestLow: Self.word(claimsDigest, 8))
        let (held, woken) = state.withLock { state -> (Bool, [Waiter]) in
            let woken = Array((state.waiters.removeValue(forKey: key) ?? [:]).values)
            if state.entries[key] == nil {
                let nowSeconds = Self.seconds(now)
                if state.entries.count >= 2 * state.sweptAtCount || state.entries.count >= maximumEntries {
                    state.entries = state.entries.filter { $0.value.expiresAt > nowSeconds }
                    state.sweptAtCount = max(1_024, state.entries.count)
                }
                guard state.entries.count < maximumEntries else {
                    state.incompleteUntil = max(state.incompleteUntil, entry.expiresAt)
                    return (false, woken)
                }
                state.entries[key] = entry
            }
            return (true, woken)
        }
        for waiter in woken {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: held)
        }
        return held
    }

    /// What the set holds of `issuer`'s token `tokenID` with claims digest `claimsDigest`.
    public func lookup(issuer: String, tokenID: String, claimsDigest: [UInt8]) -> Lookup {
        guard let entry = state.withLock({ $0.entries[Self.key(issuer, tokenID)] }) else { return .notHeld }
        return entry.digestHigh == Self.word(claimsDigest, 0) && entry.digestLow == Self.word(claimsDigest, 8) ? .issued : .claimsMismatch
    }

    /// Whether every entry the feed sent that could still be live at `now` is held: `false` while
    /// an entry refused because the set was full has not expired.
    public func isComplete(now: Date) -> Bool { state.withLock { $0.incompleteUntil < Self.seconds(now) } }

    /// How many entries are held (expired ones included until the next sweep).
    public var count: Int { state.withLock { $0.entries.count } }

    /// Waits up to `timeout` for the entry of `issuer`'s token `tokenID`; `true` once it is held.
    public func waitForEntry(issuer: String, tokenID: String, timeout: Duration) async -> Bool {
        let key = Self.key(issuer, tokenID)
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let heldAlready = state.withLock { state -> Bool in
                if state.entries[key] != nil { return true }
                state.waiters[key, default: [:]][id] = Waiter(continuation: continuation)
                return false
            }
            if heldAlready {
                continuation.resume(returning: true)
                return
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                let expired = state.withLock { state -> Waiter? in
                    let waiter = state.waiters[key]?.removeValue(forKey: id)
                    if state.waiters[key]?.isEmpty == true { state.waiters[key] = nil }
                    return waiter
                }
                expired?.continuation.resume(returning: false)
            }
            // The entry may have come already: then the timer is not needed.
            let stillWaiting = state.withLock { state -> Bool in
                guard state.waiters[key]?[id] != nil else { return false }
                state.waiters[key]?[id]?.timer = timer
                return true
            }
            if !stillWaiting { timer.cancel() }
        }
    }

    private static func key(_ issuer: String, _ tokenID: String) -> VerifiedTokenCache.TokenKey {
        VerifiedTokenCache.TokenKey(issuer: ExactBytes(issuer), tokenID: ExactBytes(tokenID))
    }

    private static func seconds(_ date: Date) -> Int64 {
        let value = date.timeIntervalSince1970.rounded(.up)
        guard value.isFinite else { return value > 0 ? .max : .min }
        return Int64(max(-9e18, min(9e18, value)))
    }

    /// Eight bytes of `digest` from `offset`, big-endian (zero where the digest is shorter).
    private static func word(_ digest: [UInt8], _ offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + 8) { value = value << 8 | UInt64(index < digest.count ? digest[index] : 0) }
        return value
    }
}
