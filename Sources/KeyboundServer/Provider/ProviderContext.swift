import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore
import Synchronization

/// Everything the provider's endpoints share: the key manager, the provider store and ledger,
/// the configuration, and a cache of signing keys and trust.
public struct ProviderContext: Sendable {
    /// Issuers and keys.
    public let manager: KeyManager
    /// Clients, users, codes, refresh tokens and the issuance ledger (SQLite or PostgreSQL).
    public let store: any ProviderStore
    /// Settings.
    public let configuration: ServerConfiguration
    /// Unsealed signing keys and the trust projection, refreshed when the key store changes.
    @_spi(Plumbing) public let keys: KeyCache
    /// Clients and resources, cached briefly for the token endpoint.
    public let directory: DirectoryCache
    /// The current time (injectable for tests and drills).
    public let now: @Sendable () -> Date
    /// Security alerts raised in this process (by Keybound Mail with `--with-mail`), read by the
    /// admin API's event stream and sent to the alert webhook when one is set.
    public let alerts: AlertCenter
    /// This node's name (its host, process id and a random part): the rotation leader's name, and
    /// the `node` of its alerts in a shared alert log.
    public let node: String
    /// When the store is shared by nodes: every node's recent alerts, which the admin API lists
    /// instead of this process's own.
    let sharedAlerts: SharedAlertLog?
    /// The threads that hash passwords at sign-in, with a bounded queue.
    let passwordHashes: PasswordHashPool
    /// Sign-in throttling per account and per client address.
    let signInThrottle: SignInThrottle
    /// The sign-in form's CSRF tokens and cookie.
    let csrf: CSRFProtection
    /// The client's address behind the trusted proxies.
    let clientAddresses: ClientAddressResolver
    /// Wakes the event streams when the stores change (one poller per followed issuer for other processes).
    public let streams: EventStreamHub
    /// Which node runs the rotation engine (this one alone on SQLite).
    public let rotationLeadership: any RotationLeadership
    /// Whether this node's stores answer (`/health/ready`).
    public let readiness: Readiness
    /// Open event streams against ``ServerConfiguration/streamLimits``.
    let streamLimiter: StreamLimiter

    /// A context. `now` defaults to the system clock.
    public init(manager: KeyManager, store: any ProviderStore, configuration: ServerConfiguration,
                rotationLeadership: any RotationLeadership = SingleNodeLeadership(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.manager = manager
        self.rotationLeadership = rotationLeadership
        self.store = store
        store.ledgerBatches.observe { batch in ProviderMetrics.ledgerBatch(size: batch.size, seconds: batch.seconds) }
        self.configuration = configuration
        self.keys = KeyCache(manager: manager)
        // Shared by several nodes, the directory is read for every request: a client disabled on
        // one node is refused by all of them from the next request on.
        self.directory = DirectoryCache(store: store, lifetime: store.isSharedByNodes ? 0 : 1)
        self.now = now
        let alerts = AlertCenter(now: now)
        self.alerts = alerts
        let node = RotationService.defaultNodeName()
        self.node = node
        self.sharedAlerts = store.isSharedByNodes ? SharedAlertLog(store: store, node: node, alerts: alerts) : nil
        self.passwordHashes = PasswordHashPool(threads: configuration.passwordHashThreads, queueCapacity: configuration.passwordHashQueue)
        self.signInThrottle = SignInThrottle()
        self.csrf = CSRFProtection(secret: configuration.csrfSecret, publicURL: configuration.publicURL)
        self.clientAddresses = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
        self.streams = EventStreamHub(manager: manager, store: store, pollInterval: configuration.streamLimits.pollInterval)
        self.streamLimiter = StreamLimiter(limits: configuration.streamLimits)
        self.readiness = Readiness(probes: [
            Readiness.Probe(name: "key_store") { await (try? manager.probeStore()) != nil },
            Readiness.Probe(name: "provider_store") { await (try? store.probe()) != nil },
        ])
    }

    /// Applies a change another node announced (`nil`: anything may have changed, for example
    /// after the notices were lost for a while): key caches reload and event streams re-read.
    public func storeChanged(_ change: PostgresStoreChange?) {
        switch change {
        case .keys:
            keys.invalidate()
            streams.wakeAll()
        case .tokenEvents(let issuerID):
            streams.signal(issuerID)
        case .directory(let issuerID):
            directory.invalidate(issuerID: issuerID)
        case nil:
            keys.invalidate()
            directory.invalidate()
            streams.wakeAll()
        }
    }

    /// How many threads hash passwords: `configuration.passwordHashThreads`, lowered to one less
    /// than the cores (at least one).
    public var passwordHashThreadCount: Int { passwordHashes.threadCount }

    /// The tenant id (`tid`) this provider's tokens of `issuer` carry: the issuer's own, unique in
    /// the store. (Every stored issuer has one; an empty value would match no verifier's tenancy.)
    public func tenantID(of issuer: IssuerRecord) -> String { issuer.tenantID ?? "" }

    /// The issuer `id`, or 404 `not_found`.
    func issuer(_ id: String) async throws -> IssuerRecord {
        let result: Result<IssuerRecord, StoreError>
        do { result = .success(try await keys.issuer(id)) } catch { result = .failure(error) }
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

/// Signing keys (unsealed once, not per token) per (issuer, purpose), and the provider's own trust
/// store of access-token keys, rebuilt when the key store changes. A change made in this process
/// (admin API, rotation service, incident response) is seen at once through the store's write
/// counter, with no database read; a change made by another process (`keybound keys revoke`) is
/// seen when the event sequence is next re-read, at most `checkInterval` (250 ms) later.
///
/// A signer or key set is built outside the lock (unsealing is slow). It is stored only if the
/// cache's generation, read before the build began, is still current: a reload or
/// ``invalidate()`` bumps the generation, so a value read before a key event is never stored after
/// it (the pattern of `VerifiedTokenCache`). A reload never replaces newer state with older.
@_spi(Plumbing) public final class KeyCache: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var sequence: Int64 = -1
        var localChanges = -1
        var checkedAt: Date = .distantPast
        /// Keyed by issuer id, by exact bytes.
        var issuers: [ExactString: IssuerRecord] = [:]
        var signers: [SignerID: TokenSigner] = [:]
        var keySets: [ExactString: [UInt8]] = [:]
        /// The key set last served per issuer, kept across reloads: served while the store
        /// cannot be read (discovery and the JWKS keep serving from memory during an outage).
        var lastServedKeySets: [ExactString: [UInt8]] = [:]
        var trust = TrustStore()
        /// Tests only: runs after a signer or key set is built and before it is stored.
        var afterLoadForTesting: (@Sendable () async -> Void)?
    }

    /// A signer's cache key: one issuer's key of one purpose.
    private struct SignerID: Hashable {
        let issuerID: ExactString
        let purpose: KeyPurpose
    }

    let manager: KeyManager
    private let state = Mutex(State())
    /// How long a read of the event sequence is trusted (0: re-read on every use).
    public let checkInterval: TimeInterval

    init(manager: KeyManager, checkInterval: TimeInterval = 0.25) {
        self.manager = manager
        self.checkInterval = checkInterval
    }

    /// Tests only: `hook` runs after each signer or key set is built from the store and before it
    /// is stored, so a test can put a key event exactly there.
    func setAfterLoadHookForTesting(_ hook: (@Sendable () async -> Void)?) {
        state.withLock { $0.afterLoadForTesting = hook }
    }

    /// Forces a reload on next use.
    public func invalidate() {
        state.withLock { state in
            state.checkedAt = .distantPast
            state.generation &+= 1
        }
    }

    func issuer(_ id: String) async throws(StoreError) -> IssuerRecord {
        try await refreshOrKeepLoaded()
        if let issuer = state.withLock({ $0.issuers[ExactString(id)] }) { return issuer }
        throw StoreError(.issuerNotFound, "no issuer '\(id)'")
    }

    /// The signer of issuer `id`'s active key of `purpose` (access tokens by default). A store from
    /// before key purposes has no ID-token key until its next rotation tick; asked for one, this
    /// runs that tick (which creates it) rather than fail the request.
    func signer(issuerID id: String, purpose: KeyPurpose = .accessToken) async throws(StoreError) -> TokenSigner {
        try await refreshIfNeeded()
        let cacheKey = SignerID(issuerID: ExactString(id), purpose: purpose)
        let (generation, cached) = state.withLock { ($0.generation, $0.signers[cacheKey]) }
        if let cached { return cached }
        let signer = try await makeSigner(issuerID: id, purpose: purpose)
        await state.withLock { $0.afterLoadForTesting }?()
        state.withLock { if $0.generation == generation { $0.signers[cacheKey] = signer } }
        return signer
    }

    /// The signer of the active key of `purpose` (unsealed, or held by the PKCS#11 custodian); for
    /// an ID-token key missing from a store made before key purposes, after the rotation tick that creates it.
    private func makeSigner(issuerID id: String, purpose: KeyPurpose) async throws(StoreError) -> TokenSigner {
        let first: Result<TokenSigner, StoreError>
        do { first = .success(try await manager.signer(issuerID: id, purpose: purpose)) } catch { first = .failure(error) }
        guard case .failure(let error) = first, error.code == .noActiveKey, purpose == .idToken,
              try await !manager.keys(issuerID: id).contains(where: { $0.purpose == .idToken }) else { return try first.get() }
        // A store from before ID-token keys (the issuer has none at all): the tick creates the issuer's first one.
        try await manager.tick(now: Date())
        try await refreshIfNeeded()
        return try await manager.signer(issuerID: id, purpose: purpose)
    }

    /// The issuer's published key set, serialized once per key-store change.
    func keySetBytes(issuerID id: String) async throws(StoreError) -> [UInt8] {
        try await refreshOrKeepLoaded()
        let key = ExactString(id)
        let (generation, cached) = state.withLock { ($0.generation, $0.keySets[key]) }
        if let cached { return cached }
        let published: JSONObject
        do {
            published = try await manager.publishedKeySet(issuerID: id)
        } catch {
            guard error.code == .storage, let last = state.withLock({ $0.lastServedKeySets[key] }) else { throw error }
            return last
        }
        let bytes = JSONWriter().bytes(.object(published))
        await state.withLock { $0.afterLoadForTesting }?()
        state.withLock { state in
            guard state.generation == generation else { return }
            state.keySets[key] = bytes
            state.lastServedKeySets[key] = bytes
        }
        return bytes
    }

    /// The trust store of every issuer this provider runs (each with only its own keys), for access
    /// tokens: only access-token keys are in it, so a token signed with an ID-token key is never
    /// taken for an access token here (`unknown_key`).
    func trust() async throws(StoreError) -> TrustStore {
        try await refreshIfNeeded()
        return state.withLock { $0.trust }
    }

    /// The provider's trust store (as ``trust()``) with the key-event sequence it reflects, which
    /// changes whenever any key is created, activated, retired or revoked. For validators inside
    /// the provider's process (Keybound Mail in `keybound serve --with-mail`).
    public func currentTrust() async throws(StoreError) -> (sequence: Int64, trust: TrustStore) {
        try await refreshIfNeeded()
        return state.withLock { ($0.sequence, $0.trust) }
    }

    /// Refreshes, or, when the store cannot be read and the issuers and keys were loaded before,
    /// keeps what was loaded: discovery and the JWKS keep serving from memory while the database is
    /// down. (Issuance still fails closed: it needs the ledger.)
    private func refreshOrKeepLoaded() async throws(StoreError) {
        do {
            try await refreshIfNeeded()
        } catch {
            let loaded = state.withLock { $0.sequence >= 0 }
            guard error.code == .storage, loaded else { throw error }
        }
    }

    private func refreshIfNeeded() async throws(StoreError) {
        let now = Date()
        let localChanges = manager.localChangeCount
        let due = state.withLock {
            $0.localChanges != localChanges || checkInterval <= 0 || now.timeIntervalSince($0.checkedAt) >= checkInterval
        }
        guard due else { return }
        let sequence = try await manager.latestEvent()?.sequence ?? 0
        let unchanged = state.withLock { state -> Bool in
            guard state.sequence == sequence else { return false }
            state.checkedAt = now
            state.localChanges = localChanges
            return true
        }
        if unchanged { return }
        let issuers = try await manager.issuers()
        let trust = try await manager.trustStore(purposes: [.accessToken])
        state.withLock { state in
            // A slower reload that read an older sequence never overwrites a newer one.
            guard sequence >= state.sequence else { return }
            state.generation &+= 1
            state.sequence = sequence
            state.localChanges = localChanges
            state.checkedAt = now
            state.issuers = Dictionary(issuers.map { (ExactString($0.id), $0) }, uniquingKeysWith: { first, _ in first })
            state.signers = [:]
            state.keySets = [:]
            state.trust = trust
        }
    }
}
