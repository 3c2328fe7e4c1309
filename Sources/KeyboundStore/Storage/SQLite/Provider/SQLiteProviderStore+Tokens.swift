import Foundation
internal import GRDB

extension SQLiteProviderStore {
    // MARK: Authorization codes

    /// Stores a new authorization code.
    public func insert(_ code: AuthorizationCodeRecord) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO authorization_code (code_hash, issuer_id, client_id, subject, redirect_uri, scope, resource,
                    code_challenge, nonce, session_id, auth_time, expires_at, used_at, chain_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)
                """, arguments: [code.codeHash, code.issuerID, code.clientID, code.subject, code.redirectURI, code.scope,
                                 code.resource, code.codeChallenge, code.nonce, code.sessionID,
                                 code.authTime.timeIntervalSince1970, code.expiresAt.timeIntervalSince1970])
        }
    }

    /// Atomically marks the code `codeHash` of `issuerID` used. A second redemption revokes the
    /// refresh chain (and the tokens) the first one created (RFC 6749 §4.1.2).
    public func redeemCode(issuerID: String, codeHash: String, chainID: String, now: Date) throws(StoreError) -> CodeRedemption {
        let (redemption, events): (CodeRedemption, [TokenEvent]) = try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM authorization_code WHERE code_hash = ? AND issuer_id = ?",
                                             arguments: [codeHash, issuerID]) else { return (.unknown, []) }
            var code = Self.code(from: row)
            if code.usedAt != nil {
                var events: [TokenEvent] = []
                if let chain = code.chainID {
                    events = try Self.revokeChain(db, issuerID: issuerID, chainID: chain, reason: "authorization code replayed",
                                                  kind: .authorizationCodeReplay, now: now)
                }
                return (.replayed(code), events)
            }
            code.usedAt = now
            code.chainID = chainID
            try db.execute(sql: "UPDATE authorization_code SET used_at = ?, chain_id = ? WHERE code_hash = ?",
                           arguments: [now.timeIntervalSince1970, chainID, codeHash])
            return (.redeemed(code), [])
        }
        publish(events)
        return redemption
    }

    static func code(from row: Row) -> AuthorizationCodeRecord {
        AuthorizationCodeRecord(
            codeHash: row["code_hash"], issuerID: row["issuer_id"], clientID: row["client_id"], subject: row["subject"],
            redirectURI: row["redirect_uri"], scope: row["scope"], resource: row["resource"],
            codeChallenge: row["code_challenge"], nonce: row["nonce"], sessionID: row["session_id"],
            authTime: Date(timeIntervalSince1970: row["auth_time"]), expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            usedAt: (row["used_at"] as Double?).map(Date.init(timeIntervalSince1970:)), chainID: row["chain_id"])
    }

    // MARK: Refresh tokens

    /// Atomically spends the refresh token `tokenHash` of `issuerID`. Presenting a spent token
    /// revokes every token of its chain (OAuth 2.0 Security BCP §4.14.2).
    public func spendRefreshToken(issuerID: String, tokenHash: String, now: Date) throws(StoreError) -> RefreshExchange {
        let (exchange, events): (RefreshExchange, [TokenEvent]) = try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM refresh_token WHERE token_hash = ? AND issuer_id = ?",
                                             arguments: [tokenHash, issuerID]) else { return (.unknown, []) }
            var token = Self.refreshToken(from: row)
            if token.revokedAt != nil || token.expiresAt <= now { return (.inactive(token), []) }
            if token.spentAt != nil {
                let events = try Self.revokeChain(db, issuerID: issuerID, chainID: token.chainID, reason: "refresh token reused",
                                                  kind: .refreshTokenReuse, now: now)
                return (.reused(token), events)
            }
            token.spentAt = now
            try db.execute(sql: "UPDATE refresh_token SET spent_at = ? WHERE token_hash = ?",
                           arguments: [now.timeIntervalSince1970, tokenHash])
            return (.exchanged(token), [])
        }
        publish(events)
        return exchange
    }

    /// The refresh token with hash `tokenHash` at issuer `issuerID`, or `nil`.
    public func refreshToken(issuerID: String, tokenHash: String) throws(StoreError) -> RefreshTokenRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM refresh_token WHERE token_hash = ? AND issuer_id = ?",
                             arguments: [tokenHash, issuerID]).map(Self.refreshToken(from:))
        }
    }

    /// Every refresh token of issuer `issuerID`'s chain `chainID`, oldest first.
    public func refreshChain(issuerID: String, chainID: String) throws(StoreError) -> [RefreshTokenRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM refresh_token WHERE chain_id = ? AND issuer_id = ? ORDER BY issued_at, rowid",
                             arguments: [chainID, issuerID]).map(Self.refreshToken(from:))
        }
    }

    /// Whether issuer `issuerID`'s refresh chain `chainID` has been revoked.
    static func isChainRevoked(_ db: Database, issuerID: String, chainID: String) throws -> Bool {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM chain_revocation WHERE chain_id = ? AND issuer_id = ?"),
                         arguments: [chainID, issuerID]) != nil
    }

    /// Revokes every refresh token of issuer `issuerID`'s chain and every access and ID token issued
    /// in it; each access token not yet expired gets a token event (`kind` is the published reason).
    public func revokeChain(issuerID: String, chainID: String, reason: String, kind: TokenRevocationReason,
                            now: Date) throws(StoreError) {
        let events = try write { db in
            try Self.revokeChain(db, issuerID: issuerID, chainID: chainID, reason: reason, kind: kind, now: now)
        }
        publish(events)
    }

    static func revokeChain(_ db: Database, issuerID: String, chainID: String, reason: String, kind: TokenRevocationReason,
                            now: Date) throws -> [TokenEvent] {
        try db.execute(sql: "INSERT OR IGNORE INTO chain_revocation (chain_id, issuer_id, revoked_at, reason) VALUES (?, ?, ?, ?)",
                       arguments: [chainID, issuerID, now.timeIntervalSince1970, reason])
        try db.execute(sql: """
            UPDATE refresh_token SET revoked_at = ?, revocation_reason = ? WHERE chain_id = ? AND issuer_id = ? AND revoked_at IS NULL
            """, arguments: [now.timeIntervalSince1970, reason, chainID, issuerID])
        let tokenIDs = try String.fetchAll(db, sql: """
            SELECT jti FROM issuance WHERE chain_id = ? AND issuer_id = ? AND jti NOT IN (SELECT jti FROM token_revocation)
            ORDER BY sequence
            """, arguments: [chainID, issuerID])
        var events: [TokenEvent] = []
        for tokenID in tokenIDs {
            if let event = try revokeToken(db, issuerID: issuerID, tokenID: tokenID, reason: reason, kind: kind, now: now) {
                events.append(event)
            }
        }
        return events
    }

    static func insert(_ db: Database, refreshToken token: RefreshTokenRecord) throws {
        try db.execute(sql: """
            INSERT INTO refresh_token (token_hash, token_id, issuer_id, client_id, subject, scope, resource, chain_id,
                parent_token_id, session_id, auth_time, issued_at, expires_at, spent_at, revoked_at, revocation_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)
            """, arguments: [token.tokenHash, token.tokenID, token.issuerID, token.clientID, token.subject, token.scope,
                             token.resource, token.chainID, token.parentTokenID, token.sessionID,
                             token.authTime?.timeIntervalSince1970, token.issuedAt.timeIntervalSince1970,
                             token.expiresAt.timeIntervalSince1970])
    }

    static func refreshToken(from row: Row) -> RefreshTokenRecord {
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return RefreshTokenRecord(
            tokenHash: row["token_hash"], tokenID: row["token_id"], issuerID: row["issuer_id"], clientID: row["client_id"],
            subject: row["subject"], scope: row["scope"], resource: row["resource"], chainID: row["chain_id"],
            parentTokenID: row["parent_token_id"], sessionID: row["session_id"], authTime: date("auth_time"),
            issuedAt: Date(timeIntervalSince1970: row["issued_at"]), expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            spentAt: date("spent_at"), revokedAt: date("revoked_at"), revocationReason: row["revocation_reason"])
    }

    // MARK: Revocation

    /// Records that issuer `issuerID`'s token `tokenID` is revoked (idempotent). If it is an access
    /// token of the ledger that has not expired, its token event is recorded in the same transaction.
    public func revokeToken(issuerID: String, tokenID: String, reason: String, kind: TokenRevocationReason,
                            now: Date) throws(StoreError) {
        let event = try write { db in
            try Self.revokeToken(db, issuerID: issuerID, tokenID: tokenID, reason: reason, kind: kind, now: now)
        }
        publish(event.map { [$0] } ?? [])
    }

    /// When and why issuer `issuerID`'s token `tokenID` was revoked, or `nil`.
    public func revocation(issuerID: String, tokenID: String) throws(StoreError) -> TokenRevocation? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM token_revocation WHERE jti = ? AND issuer_id = ?",
                             arguments: [tokenID, issuerID]).map { row in
                TokenRevocation(at: Date(timeIntervalSince1970: row["revoked_at"]), reason: row["reason"])
            }
        }
    }

    // MARK: Client assertions

    /// Records a `private_key_jwt` assertion's `jti`; `false` if it was seen before (a replay).
    public func recordAssertion(issuerID: String, clientID: String, tokenID: String, expiresAt: Date) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO client_assertion (issuer_id, client_id, jti, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [issuerID, clientID, tokenID, expiresAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }
}
