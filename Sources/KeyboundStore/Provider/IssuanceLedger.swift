import Foundation
import GRDB
import KeyboundSQLite

/// The issuance ledger's writer. Every issued token is committed here before it is handed out;
/// concurrent requests are gathered into one transaction (group commit), so a burst of grants
/// costs one `fsync`-bounded commit, not one each.
///
/// The batching is the SQLite core's `GroupCommitWriter`: commits run on a dedicated queue, never
/// on the caller's thread, so a request waits, it does not block a Swift concurrency thread.
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

    /// The store the ledger lives in.
    public let store: ProviderStore
    private let writer: GroupCommitWriter<Entry, Void>
    /// The largest number of requests committed in one transaction.
    public var maximumBatch: Int { writer.maximumBatch }
    /// How long the writer waits for company before a commit when requests arrive concurrently.
    public var coalescingDelayMicroseconds: UInt32 { writer.coalescingDelayMicroseconds }

    /// A ledger over `store`; `onBatch` is told the size and duration (seconds) of each committed
    /// batch (for metrics).
    public init(store: ProviderStore, maximumBatch: Int = 512, onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in }) {
        self.store = store
        writer = GroupCommitWriter(database: store.pool, label: "keybound.issuance-ledger", maximumBatch: maximumBatch,
                                   coalescingDelayMicroseconds: 1_000, onBatch: onBatch) { entries, db in
            for entry in entries { try Self.insert(entry, into: db) }
            return Array(repeating: (), count: entries.count)
        }
    }

    /// Commits `entry`; returns once it is durable. Throws ``StoreError`` if it could not be
    /// written (for example a duplicate `jti`); the caller must then not hand out the tokens.
    public func commit(_ entry: Entry) async throws(StoreError) {
        do {
            try await writer.submit(entry)
        } catch {
            throw ProviderStore.storeError(error)
        }
    }

    /// Commits `entry` synchronously (for tools and tests outside a server).
    public func commitNow(_ entry: Entry) throws(StoreError) {
        try store.write { db in try Self.insert(entry, into: db) }
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

    /// The ledger record of issuer `issuerID`'s token `tokenID` and, if it was revoked, why, read
    /// off the calling thread (the online ledger check runs this for every token it has not seen).
    /// Looked up as (issuer, jti): another issuer's token with the same `jti` is not this one.
    ///
    /// The read runs synchronously on a dispatch thread, not through GRDB's async `read`: that one
    /// holds a reader connection while it waits to resume on a Swift concurrency thread, and with
    /// the synchronous reads other code makes on those threads (the token-event poll) the two
    /// deadlocked, every cooperative thread waiting for a reader and every reader for a thread.
    public func issuanceStatus(issuerID: String, tokenID: String) async throws(StoreError)
        -> (record: IssuanceRecord, revocationReason: String?)? {
        let result: Result<(record: IssuanceRecord, revocationReason: String?)?, StoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { () throws(StoreError) in
                    try self.read { db in
                        guard let record = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM issuance WHERE issuer_id = ? AND jti = ?"),
                                                            arguments: [issuerID, tokenID]).map(Self.issuance(from:)) else { return nil }
                        let reason = try String.fetchOne(db.cachedStatement(sql: "SELECT reason FROM token_revocation WHERE jti = ?"),
                                                         arguments: [tokenID])
                        return (record, reason)
                    }
                })
            }
        }
        return try result.get()
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
