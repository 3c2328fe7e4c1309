import Foundation
internal import GRDB
internal import KeyboundSQLite

extension SQLiteProviderStore {
    /// The ledger's writer: the SQLite core's `GroupCommitWriter`. Commits run on a dedicated
    /// queue, never on the caller's thread, so a request waits, it does not block a Swift
    /// concurrency thread.
    static func makeLedgerWriter(pool: DatabasePool, observers: StoreObservers<LedgerBatch>) -> GroupCommitWriter<IssuanceEntry, [TokenEvent]> {
        GroupCommitWriter(database: pool, label: "keybound.issuance-ledger", maximumBatch: 512, coalescingDelayMicroseconds: 1_000,
                          onBatch: { size, seconds in observers.notify(LedgerBatch(size: size, seconds: seconds)) }) { entries, db in
            try entries.map { entry in try insert(entry, into: db) }
        }
    }

    /// Commits `entry` with others waiting at the same time; returns once it is durable (and its
    /// access tokens' issuance events were published).
    public func commit(_ entry: IssuanceEntry) async throws(StoreError) {
        do {
            publish(try await ledgerWriter.submit(entry))
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Commits `entry` synchronously, in a transaction of its own (for tools and tests outside a server).
    public func commitNow(_ entry: IssuanceEntry) throws(StoreError) {
        publish(try write { db in try Self.insert(entry, into: db) })
    }

    /// Writes `entry`'s ledger records, its refresh token and its access tokens' issuance events;
    /// returns the events, to publish once the transaction committed.
    static func insert(_ entry: IssuanceEntry, into db: Database) throws -> [TokenEvent] {
        // Minted from a copy of the directory that has changed since: never handed out.
        if let expected = entry.directoryVersion, try directoryVersion(db, issuerID: expected.issuerID) != expected.version {
            throw StoreError(.directoryChanged, "issuer '\(expected.issuerID)''s directory changed after the tokens were minted")
        }
        // A chain revoked (refresh reuse, code replay) while these tokens waited for the commit:
        // they must never be handed out. The check runs in the same serialized writer as the revocation.
        var chains: [(issuerID: String, chainID: String)] = entry.records.compactMap { record in
            record.chainID.map { (record.issuerID, $0) }
        }
        if let refresh = entry.refreshToken { chains.append((refresh.issuerID, refresh.chainID)) }
        for chain in chains where try isChainRevoked(db, issuerID: chain.issuerID, chainID: chain.chainID) {
            throw StoreError(.chainRevoked, "refresh chain '\(chain.chainID)' was revoked before its tokens were committed")
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
                // The file keeps one jti namespace for every issuer (v1's UNIQUE); a random
                // 128-bit jti never meets another issuer's.
                throw StoreError(.duplicateToken, "token id '\(record.tokenID)' is already in the issuance ledger")
            }
        }
        if let refresh = entry.refreshToken { try insert(db, refreshToken: refresh) }
        return try appendIssued(entry.records, db)
    }

    /// The ledger record of issuer `issuerID`'s token `tokenID`, or `nil`.
    public func issuance(issuerID: String, tokenID: String) throws(StoreError) -> IssuanceRecord? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM issuance WHERE issuer_id = ? AND jti = ?"),
                             arguments: [issuerID, tokenID]).map(Self.issuance(from:))
        }
    }

    /// The ledger record of token `tokenID` whichever issuer issued it, or `nil`: for the hunt,
    /// which explains a forgery that reuses another issuer's `jti`. Requests never use it.
    public func issuanceOfAnyIssuer(tokenID: String) throws(StoreError) -> IssuanceRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM issuance WHERE jti = ?", arguments: [tokenID]).map(Self.issuance(from:))
        }
    }

    /// The ledger record of issuer `issuerID`'s token `tokenID` and, if it was revoked, why, read
    /// off the calling thread (the online ledger check runs this for every token it has not seen).
    ///
    /// The read runs synchronously on a dispatch thread, not through GRDB's async `read`: that one
    /// holds a reader connection while it waits to resume on a Swift concurrency thread, and with
    /// the synchronous reads other code makes on those threads (the token-event poll) the two
    /// deadlocked, every cooperative thread waiting for a reader and every reader for a thread.
    public func issuanceStatus(issuerID: String, tokenID: String) async throws(StoreError) -> IssuanceStatus? {
        let result: Result<IssuanceStatus?, StoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { () throws(StoreError) in
                    try self.read { db in
                        guard let record = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM issuance WHERE issuer_id = ? AND jti = ?"),
                                                            arguments: [issuerID, tokenID]).map(Self.issuance(from:)) else { return nil }
                        let reason = try String.fetchOne(
                            db.cachedStatement(sql: "SELECT reason FROM token_revocation WHERE jti = ? AND issuer_id = ?"),
                            arguments: [tokenID, issuerID])
                        return IssuanceStatus(record: record, revocationReason: reason)
                    }
                })
            }
        }
        return try result.get()
    }

    /// Every access and ID token issuer `issuerID` signed with key `keyID`, in sequence order.
    public func issuances(issuerID: String, keyID: String) throws(StoreError) -> [IssuanceRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM issuance WHERE issuer_id = ? AND kid = ? ORDER BY sequence",
                             arguments: [issuerID, keyID]).map(Self.issuance(from:))
        }
    }

    /// Ledger records in sequence order, after `sequence`, at most `limit`.
    public func issuances(after sequence: Int64, limit: Int) throws(StoreError) -> [IssuanceRecord] {
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
