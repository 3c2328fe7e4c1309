import Foundation
internal import GRDB

extension SQLiteProviderStore {
    /// Records the revocation of issuer `issuerID`'s `tokenID` (once) and, for an access token of
    /// the ledger that has not expired at `now`, appends the issuer's next token event. Runs inside
    /// the caller's `BEGIN IMMEDIATE` transaction, so the event numbers follow commit order.
    ///
    /// The file keeps v1's one `jti` namespace for revocations: a `jti` another issuer already
    /// revoked is not recorded again (ledger `jti`s are unique in the file, so only a `jti` the
    /// ledger does not hold can meet this).
    static func revokeToken(_ db: Database, issuerID: String, tokenID: String, reason: String, kind: TokenRevocationReason,
                            now: Date) throws -> TokenEvent? {
        try db.execute(sql: "INSERT OR IGNORE INTO token_revocation (jti, issuer_id, revoked_at, reason) VALUES (?, ?, ?, ?)",
                       arguments: [tokenID, issuerID, now.timeIntervalSince1970, reason])
        guard db.changesCount == 1,
              let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT issuer_id, kind, audience, expires_at FROM issuance WHERE jti = ? AND issuer_id = ?"),
                arguments: [tokenID, issuerID]),
              row["kind"] as String == IssuanceRecord.TokenKind.access.rawValue,
              (row["expires_at"] as Double) > now.timeIntervalSince1970 else { return nil }
        let event = TokenEvent(issuerID: issuerID, sequence: try nextTokenEventSequence(db, issuerID: issuerID), tokenID: tokenID,
                               audience: StringList.decode(row["audience"]), expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
                               reason: kind, at: now)
        try insert(event, db)
        return event
    }

    /// Tells this process's observers of `events`, after their transaction committed.
    func publish(_ events: [TokenEvent]) {
        guard !events.isEmpty else { return }
        tokenEventsAppended.notify(events)
    }

    /// Issuer `issuerID`'s token events after `sequence`, oldest first, at most `limit`.
    public func tokenEvents(issuerID: String, after sequence: Int64, limit: Int) throws(StoreError) -> [TokenEvent] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM token_event WHERE issuer_id = ? AND sequence > ? ORDER BY sequence LIMIT ?"),
                             arguments: [issuerID, sequence, limit]).map(Self.tokenEvent(from:))
        }
    }

    /// The sequence number of issuer `issuerID`'s latest token event (0 when it has none).
    public func latestTokenEventSequence(issuerID: String) throws(StoreError) -> Int64 {
        try read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(sequence), 0) FROM token_event WHERE issuer_id = ?"),
                               arguments: [issuerID]) ?? 0
        }
    }

    /// The sequence number of issuer `issuerID`'s first token event whose token has not expired at
    /// `now`, or, when there is none, the number the next event will get: where a stream with no
    /// resume point starts (every revocation that still matters, then what follows).
    public func firstLiveTokenEventSequence(issuerID: String, now: Date) throws(StoreError) -> Int64 {
        try read { db in
            if let first = try Int64.fetchOne(db, sql: "SELECT MIN(sequence) FROM token_event WHERE issuer_id = ? AND expires_at > ?",
                                              arguments: [issuerID, now.timeIntervalSince1970]) {
                return first
            }
            return (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM token_event WHERE issuer_id = ?",
                                       arguments: [issuerID]) ?? 0) + 1
        }
    }

    static func tokenEvent(from row: Row) throws -> TokenEvent {
        guard let change = TokenEvent.change(storedReason: row["reason"], claimsDigest: row["claims_digest"]) else {
            throw StoreError(.storage, "token event \(row["sequence"] as Int64? ?? 0) has an unknown reason")
        }
        return TokenEvent(issuerID: row["issuer_id"], sequence: row["sequence"], tokenID: row["jti"],
                          audience: StringList.decode(row["audience"]), expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
                          change: change, at: Date(timeIntervalSince1970: row["at"]))
    }

    /// Appends the issuance event of each access token in `records` (issued and committed in the
    /// caller's transaction), numbered on from the issuer's latest event.
    static func appendIssued(_ records: [IssuanceRecord], _ db: Database) throws -> [TokenEvent] {
        var events: [TokenEvent] = []
        for record in records where record.kind == .access {
            let sequence = try nextTokenEventSequence(db, issuerID: record.issuerID)
            let event = TokenEvent.issued(record, sequence: sequence)
            try insert(event, db)
            events.append(event)
        }
        return events
    }

    private static func nextTokenEventSequence(_ db: Database, issuerID: String) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM token_event WHERE issuer_id = ?"),
                           arguments: [issuerID]) ?? 1
    }

    private static func insert(_ event: TokenEvent, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO token_event (issuer_id, sequence, jti, audience, expires_at, reason, at, claims_digest)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [event.issuerID, event.sequence, event.tokenID, StringList.encode(event.audience),
                                     event.expiresAt.timeIntervalSince1970, event.storedReason, event.at.timeIntervalSince1970,
                                     event.storedClaimsDigest])
    }
}
