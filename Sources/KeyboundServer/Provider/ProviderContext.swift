import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundStore
import Synchronization

/// Everything the provider's endpoints share: the key manager, the provider store and ledger,
/// the configuration, and a cache of signing keys and trust.
public struct ProviderContext: Sendable {
    /// Issuers and keys.
    public let manager: KeyManager
    /// Clients, users, codes, refresh tokens and the ledger's table.
    public let store: ProviderStore
    /// The issuance ledger writer (group commit).
    public let ledger: IssuanceLedger
    /// Settings.
    public let configuration: ServerConfiguration
    /// Unsealed signing keys and the trust projection, refreshed when the key store changes.
    public let keys: KeyCache
    /// Clients and resources, cached briefly for the token endpoint.
    public let directory: DirectoryCache
    /// The current time (injectable for tests and drills).
    public let now: @Sendable () -> Date
    /// Security alerts raised in this process (by Keybound Mail with `--with-mail`), read by the
    /// admin API's event stream and sent to the alert webhook when one is set.
    public let alerts: AlertCenter
    /// Wakes the event streams when the stores change (one poller per followed issuer for other processes).
    public let streams: EventStreamHub
    /// Open event streams against ``ServerConfiguration/streamLimits``.
    let streamLimiter: StreamLimiter

    /// A context. `now` defaults to the system clock.
    public init(manager: KeyManager, store: ProviderStore, configuration: ServerConfiguration,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.manager = manager
        self.store = store
        self.ledger = IssuanceLedger(store: store, onBatch: { size, seconds in ProviderMetrics.ledgerBatch(size: size, seconds: seconds) })
        self.configuration = configuration
        self.keys = KeyCache(manager: manager)
        self.directory = DirectoryCache(store: store)
        self.now = now
        self.alerts = AlertCenter(now: now)
        self.streams = EventStreamHub(manager: manager, store: store, pollInterval: configuration.streamLimits.pollInterval)
        self.streamLimiter = StreamLimiter(limits: configuration.streamLimits)
    }

    /// The tenant id (`tid`) this provider's tokens of `issuer` carry: the issuer's own, or for a
    /// consumer realm the fixed consumer tenant id.
    public func tenantID(of issuer: IssuerRecord) -> String { issuer.tenantID ?? TokenMinter.consumerTenantID }

    /// The issuer `id`, or 404 `not_found`.
    func issuer(_ id: String) throws -> IssuerRecord {
        let result: Result<IssuerRecord, StoreError> = Result { () throws(StoreError) in try keys.issuer(id) }
        switch result {
        case .success(let issuer): return issuer
        case .failure(let error) where error.code == .issuerNotFound: throw OAuthError.notFound("no issuer '\(id)'")
        case .failure(let error): throw error
        }
    }

    /// The URL of one of an issuer's endpoints, as published in its discovery document.
    func endpoint(_ issuer: IssuerRecord, _ name: String) -> String {
        configuration.issuerURL(issuer.id) + "/" + name
    }
}

/// Signing keys (unsealed once, not per token) and the provider's own trust store, rebuilt when
/// the key store changes. A change made in this process (admin API, rotation service, incident
/// response) is seen at once through the store's write counter, with no database read; a change
/// made by another process (`keybound keys revoke`) is seen when the event sequence is next
/// re-read, at most `checkInterval` (250 ms) later.
public final class KeyCache: Sendable {
    private struct State {
        var sequence: Int64 = -1
        var localChanges = -1
        var checkedAt: Date = .distantPast
        var issuers: [String: IssuerRecord] = [:]
        var signers: [String: TokenSigner] = [:]
        var keySets: [String: [UInt8]] = [:]
        var trust = TrustStore()
    }

    let manager: KeyManager
    private let state = Mutex(State())
    /// How long a read of the event sequence is trusted (0: re-read on every use).
    public let checkInterval: TimeInterval

    init(manager: KeyManager, checkInterval: TimeInterval = 0.25) {
        self.manager = manager
        self.checkInterval = checkInterval
    }

    /// Forces a reload on next use.
    public func invalidate() {
        state.withLock { $0.checkedAt = .distantPast }
    }

    func issuer(_ id: String) throws(StoreError) -> IssuerRecord {
        try refreshIfNeeded()
        if let issuer = state.withLock({ $0.issuers[id] }) { return issuer }
        throw StoreError(.issuerNotFound, "no issuer '\(id)'")
    }

    /// The signer of issuer `id`'s active key.
    func signer(issuerID id: String) throws(StoreError) -> TokenSigner {
        try refreshIfNeeded()
        if let signer = state.withLock({ $0.signers[id] }) { return signer }
        let signer = TokenSigner(key: try manager.signingKey(issuerID: id))
        state.withLock { $0.signers[id] = signer }
        return signer
    }

    /// The issuer's published key set, serialized once per key-store change.
    func keySetBytes(issuerID id: String) throws(StoreError) -> [UInt8] {
        try refreshIfNeeded()
        if let bytes = state.withLock({ $0.keySets[id] }) { return bytes }
        let bytes = JSONWriter().bytes(.object(try manager.publishedKeySet(issuerID: id)))
        state.withLock { $0.keySets[id] = bytes }
        return bytes
    }

    /// The trust store of every issuer this provider runs (each with only its own keys).
    func trust() throws(StoreError) -> TrustStore {
        try refreshIfNeeded()
        return state.withLock { $0.trust }
    }

    /// The provider's trust store (as ``trust()``) with the key-event sequence it reflects, which
    /// changes whenever any key is created, activated, retired or revoked. For validators inside
    /// the provider's process (Keybound Mail in `keybound serve --with-mail`).
    public func currentTrust() throws(StoreError) -> (sequence: Int64, trust: TrustStore) {
        try refreshIfNeeded()
        return state.withLock { ($0.sequence, $0.trust) }
    }

    private func refreshIfNeeded() throws(StoreError) {
        let now = Date()
        let localChanges = manager.localChangeCount
        let due = state.withLock {
            $0.localChanges != localChanges || checkInterval <= 0 || now.timeIntervalSince($0.checkedAt) >= checkInterval
        }
        guard due else { return }
        let sequence = try manager.latestEvent()?.sequence ?? 0
        let unchanged = state.withLock { state -> Bool in
            guard state.sequence == sequence else { return false }
            state.checkedAt = now
            state.localChanges = localChanges
            return true
        }
        if unchanged { return }
        let issuers = try manager.issuers()
        let trust = try manager.trustStore()
        state.withLock { state in
            state.sequence = sequence
            state.localChanges = localChanges
            state.checkedAt = now
            state.issuers = Dictionary(uniqueKeysWithValues: issuers.map { ($0.id, $0) })
            state.signers = [:]
            state.keySets = [:]
            state.trust = trust
        }
    }
}
