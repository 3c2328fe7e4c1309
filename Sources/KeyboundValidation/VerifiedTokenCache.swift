import Crypto
import Foundation
import Synchronization

/// Identities of recently verified tokens, keyed by the SHA-256 of the whole token.
///
/// The rules:
/// - Only successful verifications are stored (by ``CachingTokenVerifier``); rejections never are.
/// - An entry expires at the earlier of the token's `exp` and its insertion time plus
///   ``maximumAge``, and every hit re-checks that against the time the caller passes (the
///   verifier's clock). An expired entry is removed and misses.
/// - At most ``capacity`` entries: when full, the oldest inserted entry is evicted.
/// - ``invalidate(issuer:keyID:)`` removes, at once, every entry verified under that key: call it
///   the moment a revocation arrives, together with the trust store update. Until then the cache
///   keeps answering for the key's tokens (up to ``maximumAge``).
/// - ``invalidate(issuer:tokenID:)`` removes, at once, the entries of one token (`iss`, `jti`,
///   exact bytes; an index, not a scan): call it the moment a token revocation arrives.
/// - Every invalidation bumps a generation: a verification that began before it cannot store its
///   result after it (``CachingTokenVerifier`` reads the generation before it verifies).
/// - ``removeAll()`` when the trust store is replaced wholesale.
///
/// Thread-safe; one instance is meant to be shared by every request of a verifier with one policy.
public final class VerifiedTokenCache: Sendable {
    /// The most entries held at once.
    public let capacity: Int
    /// How long an entry may live after insertion, whatever the token's `exp`.
    public let maximumAge: TimeInterval

    /// The default ``capacity``: 4,096 entries.
    public static let defaultCapacity = 4_096
    /// The default ``maximumAge``: 60 seconds.
    public static let defaultMaximumAge: TimeInterval = 60

    struct Entry: Sendable {
        let identity: KeyboundIdentity
        let expiresAt: Date
        /// The policy the token was verified under: a hit needs the same audience and token type.
        let policy: PolicyTag
        let sequence: UInt64
        let issuer: ExactBytes
        let keyID: ExactBytes
        /// The token's (`iss`, `jti`), for the token index.
        let token: TokenKey?
    }

    /// One token of one issuer: (`iss`, `jti`) by exact bytes.
    struct TokenKey: Hashable, Sendable {
        let issuer: ExactBytes
        let tokenID: ExactBytes
    }

    /// What must match between the verifier that stored an entry and the one reading it.
    struct PolicyTag: Hashable, Sendable {
        let audience: ExactBytes
        let tokenType: String
    }

    private struct State: ~Copyable {
        var entries: [SHA256Digest: Entry] = [:]
        /// The entries of each (`iss`, `jti`): usually one, more when the same `jti` came in
        /// several token strings.
        var byToken: [TokenKey: [SHA256Digest]] = [:]
        /// Insertion order for eviction: (key, sequence); stale pairs are skipped.
        var order: [(key: SHA256Digest, sequence: UInt64)] = []
        var orderStart = 0
        var nextSequence: UInt64 = 0
        /// Bumped by every invalidation, so a verification that started before one cannot store
        /// its (possibly stale) result after it.
        var generation: UInt64 = 0
        /// Lookups by ``CachingTokenVerifier`` answered from the cache, and not.
        var hits: UInt64 = 0
        var misses: UInt64 = 0

        /// Removes the entry `key` and its token index record.
        mutating func remove(_ key: SHA256Digest) {
            guard let entry = entries.removeValue(forKey: key), let token = entry.token else { return }
            guard var keys = byToken[token] else { return }
            keys.removeAll { $0 == key }
            byToken[token] = keys.isEmpty ? nil : keys
        }
    }

    /// How often the cache answered: lookups made by ``CachingTokenVerifier`` (one per token
    /// verification it is asked for) that found a live entry (`hits`) or did not (`misses`, each
    /// followed by a full verification). ``identity(for:now:)`` is not counted.
    public struct Statistics: Sendable, Equatable {
        /// Lookups answered from the cache.
        public var hits: UInt64
        /// Lookups that found no live entry under the verifier's policy.
        public var misses: UInt64
        /// `hits ÷ (hits + misses)`, or 0 before any lookup.
        public var hitRate: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }
    }

    private let state = Mutex(State())

    /// A cache of at most `capacity` entries (at least 1), each living at most `maximumAge` seconds
    /// (clamped to 0…3600; 0 stores nothing).
    public init(capacity: Int = defaultCapacity, maximumAge: TimeInterval = defaultMaximumAge) {
        self.capacity = max(1, capacity)
        self.maximumAge = maximumAge.isFinite ? min(max(0, maximumAge), 3600) : 0
    }

    /// The number of entries held, expired ones included until they are next touched.
    public var count: Int { state.withLock { $0.entries.count } }

    /// The cached identity of `token` if an entry exists and has not expired at `now` (not counted
    /// in ``statistics``).
    public func identity(for token: String, now: Date) -> KeyboundIdentity? {
        lookup(Self.key(for: token), policy: nil, now: now, counted: false)
    }

    /// The hits and misses counted so far.
    public var statistics: Statistics { state.withLock { Statistics(hits: $0.hits, misses: $0.misses) } }

    /// Removes every entry verified under the key `keyID` of `issuer` (exact bytes) and returns how many.
    @discardableResult
    public func invalidate(issuer: String, keyID: String) -> Int {
        let issuer = ExactBytes(issuer), keyID = ExactBytes(keyID)
        return state.withLock { state in
            let doomed = state.entries.filter { $0.value.issuer == issuer && $0.value.keyID == keyID }.map(\.key)
            for key in doomed { state.remove(key) }
            state.generation &+= 1
            return doomed.count
        }
    }

    /// Removes the entries of the token whose `iss` is `issuer` and whose `jti` is `tokenID`
    /// (exact bytes) and returns how many. A verification of that token already under way cannot
    /// store its result afterwards.
    @discardableResult
    public func invalidate(issuer: String, tokenID: String) -> Int {
        let token = TokenKey(issuer: ExactBytes(issuer), tokenID: ExactBytes(tokenID))
        return state.withLock { state in
            let doomed = state.byToken[token] ?? []
            for key in doomed { state.remove(key) }
            state.generation &+= 1
            return doomed.count
        }
    }

    /// Removes every entry of `issuer` (exact bytes) and returns how many: for example when its
    /// issuance feed has gone stale, so that its tokens are checked (and refused) again.
    @discardableResult
    public func invalidate(issuer: String) -> Int {
        let issuer = ExactBytes(issuer)
        return state.withLock { state in
            let doomed = state.entries.filter { $0.value.issuer == issuer }.map(\.key)
            guard !doomed.isEmpty else { return 0 }
            for key in doomed { state.remove(key) }
            state.generation &+= 1
            return doomed.count
        }
    }

    /// Removes every entry (for example when the trust store is replaced).
    public func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.byToken.removeAll()
            state.order.removeAll()
            state.orderStart = 0
            state.generation &+= 1
        }
    }

    /// The invalidation generation: read it before taking the trust snapshot a verification uses,
    /// and pass it to ``insert(_:key:policy:now:generation:)``.
    var generation: UInt64 { state.withLock { $0.generation } }

    static func key(for token: String) -> SHA256Digest { SHA256.hash(data: Array(token.utf8)) }

    /// The entry's identity if it exists, was stored under `policy` (when given) and has not expired.
    /// `counted` lookups add to ``statistics``.
    func lookup(_ key: SHA256Digest, policy: PolicyTag?, now: Date, counted: Bool = true) -> KeyboundIdentity? {
        state.withLock { state in
            let found = Self.live(&state, key, policy: policy, now: now)
            if counted {
                if found == nil { state.misses &+= 1 } else { state.hits &+= 1 }
            }
            return found
        }
    }

    private static func live(_ state: inout State, _ key: SHA256Digest, policy: PolicyTag?, now: Date) -> KeyboundIdentity? {
        guard let entry = state.entries[key] else { return nil }
        guard now.timeIntervalSince1970.isFinite, now < entry.expiresAt else {
            state.remove(key)
            return nil
        }
        if let policy, policy != entry.policy { return nil }
        return entry.identity
    }

    /// Stores a verified identity until the earlier of its `exp` and `now` + ``maximumAge`` — unless
    /// an invalidation happened since `generation` was read (the verification may have used trust
    /// that is gone; storing it would let a revoked key's token outlive the revocation).
    func insert(_ identity: KeyboundIdentity, key: SHA256Digest, policy: PolicyTag, now: Date, generation: UInt64) {
        guard now.timeIntervalSince1970.isFinite else { return }
        var expiresAt = now.addingTimeInterval(maximumAge)
        if let exp = identity.expiresAt { expiresAt = min(expiresAt, exp) }
        guard expiresAt > now else { return }
        let capacity = self.capacity
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries[key] == nil {
                while state.entries.count >= capacity, state.orderStart < state.order.count {
                    let oldest = state.order[state.orderStart]
                    state.orderStart += 1
                    if state.entries[oldest.key]?.sequence == oldest.sequence { state.remove(oldest.key) }
                }
            }
            let sequence = state.nextSequence
            state.nextSequence += 1
            let token = identity.tokenID.map { TokenKey(issuer: ExactBytes(identity.issuer), tokenID: ExactBytes($0)) }
            if let token, state.entries[key] == nil { state.byToken[token, default: []].append(key) }
            state.entries[key] = Entry(identity: identity, expiresAt: expiresAt, policy: policy, sequence: sequence,
                                       issuer: ExactBytes(identity.issuer), keyID: ExactBytes(identity.keyID), token: token)
            state.order.append((key, sequence))
            // Drop consumed and stale order records so the list stays within a small multiple of capacity.
            if state.order.count - state.orderStart > 2 * capacity || state.orderStart > capacity {
                let entries = state.entries
                state.order = state.order[state.orderStart...].filter { entries[$0.key]?.sequence == $0.sequence }
                state.orderStart = 0
            }
        }
    }
}
