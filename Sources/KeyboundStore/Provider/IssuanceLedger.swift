import Dispatch
import Foundation
import GRDB
import Synchronization

/// The issuance ledger's writer. Every issued token is committed here before it is handed out;
/// concurrent requests are gathered into one transaction (group commit), so a burst of grants
/// costs one `fsync`-bounded commit, not one each.
///
/// Commits run on a dedicated queue, never on the caller's thread: a request waits, it does not
/// block a Swift concurrency thread.
public final class IssuanceLedger: Sendable {
    /// One request's records: its tokens and, if any, the refresh token to store with them.
    public struct Entry: Sendable {
        /// Ledger rows (access, ID and refresh tokens).
        public var records: [IssuanceRecord]
        /// The refresh token state to store, if the grant issued one.
        public var refreshToken: RefreshTokenRecord?

        /// An entry.
        public init(records: [IssuanceRecord], refreshToken: RefreshTokenRecord? = nil) {
            self.records = records
            self.refreshToken = refreshToken
        }
    }

    private struct Waiting {
        let entry: Entry
        let continuation: UnsafeContinuation<Void, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

    /// The store the ledger lives in.
    public let store: ProviderStore
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "keybound.issuance-ledger")
    /// The largest number of requests committed in one transaction.
    public let maximumBatch: Int
    /// How long the writer waits for company before a commit when requests arrive concurrently.
    public let coalescingDelayMicroseconds: UInt32 = 1_000
    /// Told the size and duration (seconds) of each committed batch (for metrics).
    private let onBatch: @Sendable (Int, Double) -> Void

    /// A ledger over `store`.
    public init(store: ProviderStore, maximumBatch: Int = 512, onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in }) {
        self.store = store
        self.maximumBatch = maximumBatch
        self.onBatch = onBatch
    }

    /// Commits `entry`; returns once it is durable. Throws ``StoreError`` if it could not be
    /// written (for example a duplicate `jti`); the caller must then not hand out the tokens.
    public func commit(_ entry: Entry) async throws(StoreError) {
        do {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let startFlusher = state.withLock { state -> Bool in
                    state.waiting.append(Waiting(entry: entry, continuation: continuation))
                    guard !state.flushing else { return false }
                    state.flushing = true
                    return true
                }
                if startFlusher { queue.async { self.flush() } }
            }
        } catch {
            throw ProviderStore.storeError(error)
        }
    }

    /// Commits `entry` synchronously (for tools and tests outside a server).
    public func commitNow(_ entry: Entry) throws(StoreError) {
        try store.write { db in try Self.insert(entry, into: db) }
    }

    private func flush() {
        var previousBatch = 0
        while true {
            // Under concurrency (the last batch had company), wait a moment for more requests so
            // one commit and one disk flush cover more tokens. A lone request never waits.
            if previousBatch > 1 && state.withLock({ $0.waiting.count }) < maximumBatch {
                usleep(coalescingDelayMicroseconds)
            }
            let batch: [Waiting] = state.withLock { state in
                let taken = Array(state.waiting.prefix(maximumBatch))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.flushing = false }
                return taken
            }
            previousBatch = batch.count
            if batch.isEmpty { return }
            do {
                let started = DispatchTime.now().uptimeNanoseconds
                try store.write { db in for waiting in batch { try Self.insert(waiting.entry, into: db) } }
                onBatch(batch.count, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                for waiting in batch { waiting.continuation.resume() }
            } catch {
                // One bad entry must not fail its neighbours: retry them one by one.
                for waiting in batch {
                    do {
                        try store.write { db in try Self.insert(waiting.entry, into: db) }
                        waiting.continuation.resume()
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    static func insert(_ entry: Entry, into db: Database) throws {
        // A chain revoked (refresh reuse, code replay) while these tokens waited for the commit:
        // they must never be handed out. The check runs in the same serialized writer as the revocation.
        let chains = Set(entry.records.compactMap(\.chainID) + [entry.refreshToken?.chainID].compactMap { $0 })
        for chain in chains where try ProviderStore.isChainRevoked(db, chainID: chain) {
            throw StoreError(.chainRevoked, "refresh chain '\(chain)' was revoked before its tokens were committed")
        }
        for record in entry.records {
            do {
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO issuance (issuer_id, kid, jti, kind, subject, client_id, audience, scope, roles, tenant_id,
                        issued_at, expires_at, parent_jti, session_id, chain_id, grant_type, claims_digest)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                try statement.execute(arguments: [record.issuerID, record.keyID, record.tokenID, record.kind.rawValue, record.subject,
                                     record.clientID, StringList.encode(record.audience), record.scope,
                                     StringList.encode(record.roles), record.tenantID, record.issuedAt.timeIntervalSince1970,
                                     record.expiresAt.timeIntervalSince1970, record.parentTokenID, record.sessionID,
                                     record.chainID, record.grantType, record.claimsDigest])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw StoreError(.duplicateToken, "token id '\(record.tokenID)' is already in the issuance ledger")
            }
        }
        if let refresh = entry.refreshToken { try ProviderStore.insert(db, refreshToken: refresh) }
    }
}

extension ProviderStore {
    /// The ledger record of token `tokenID`, or `nil` if Keybound never issued it.
    public func issuance(tokenID: String) throws(StoreError) -> IssuanceRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM issuance WHERE jti = ?", arguments: [tokenID]).map(Self.issuance(from:))
        }
    }

    /// The ledger record of token `tokenID` and, if it was revoked, why — in one read (the
    /// issuance-ledger check runs this for every token it has not seen).
    public func issuanceStatus(tokenID: String) throws(StoreError) -> (record: IssuanceRecord, revocationReason: String?)? {
        try read { db in
            guard let record = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM issuance WHERE jti = ?"), arguments: [tokenID])
                .map(Self.issuance(from:)) else { return nil }
            let reason = try String.fetchOne(db.cachedStatement(sql: "SELECT reason FROM token_revocation WHERE jti = ?"), arguments: [tokenID])
            return (record, reason)
        }
    }

    /// Every access and ID token issuer `issuerID` signed with key `keyID`, in sequence order (a scan
    /// of the ledger: for incident response, not for requests).
    public func issuances(issuerID: String, keyID: String) throws(StoreError) -> [IssuanceRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM issuance WHERE issuer_id = ? AND kid = ? ORDER BY sequence",
                             arguments: [issuerID, keyID]).map(Self.issuance(from:))
        }
    }

    /// Ledger records in sequence order, after `sequence`, at most `limit`.
    public func issuances(after sequence: Int64 = 0, limit: Int = 1_000) throws(StoreError) -> [IssuanceRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM issuance WHERE sequence > ? ORDER BY sequence LIMIT ?",
                             arguments: [sequence, limit]).map(Self.issuance(from:))
        }
    }

    static func issuance(from row: Row) -> IssuanceRecord {
        IssuanceRecord(
            sequence: row["sequence"], issuerID: row["issuer_id"], keyID: row["kid"], tokenID: row["jti"],
            kind: IssuanceRecord.TokenKind(rawValue: row["kind"]) ?? .access, subject: row["subject"],
            clientID: row["client_id"], audience: StringList.decode(row["audience"]), scope: row["scope"],
            roles: StringList.decode(row["roles"]), tenantID: row["tenant_id"],
            issuedAt: Date(timeIntervalSince1970: row["issued_at"]), expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            parentTokenID: row["parent_jti"], sessionID: row["session_id"], chainID: row["chain_id"],
            grantType: row["grant_type"], claimsDigest: row["claims_digest"])
    }
}
