import Foundation
internal import KeyboundPostgres
internal import PostgresNIO
import Logging

extension PostgresProviderStore {
    // MARK: Authorization codes

    package func insert(_ code: AuthorizationCodeRecord) async throws(StoreError) {
        try await write { connection, logger in
            try await connection.query("""
                INSERT INTO authorization_code (issuer_id, code_hash, client_id, subject, redirect_uri, scope, resource,
                    code_challenge, nonce, session_id, auth_time, expires_at, used_at, chain_id)
                VALUES (\(code.issuerID), \(code.codeHash), \(code.clientID), \(code.subject), \(code.redirectURI), \(code.scope),
                        \(code.resource), \(code.codeChallenge), \(code.nonce), \(code.sessionID), \(code.authTime.timeIntervalSince1970),
                        \(code.expiresAt.timeIntervalSince1970), NULL, NULL)
                """, logger: logger)
        }
    }

    package func redeemCode(issuerID: String, codeHash: String, chainID: String, now: Date) async throws(StoreError) -> CodeRedemption {
        let (redemption, events): (CodeRedemption, [TokenEvent]) = try await write { connection, logger in
            guard let row = try await Self.rows("""
                SELECT * FROM authorization_code WHERE issuer_id = \(issuerID) AND code_hash = \(codeHash) FOR UPDATE
                """, connection, logger: logger).first else { return (.unknown, []) }
            var code = try PostgresProviderRows.code(from: row)
            if code.usedAt != nil {
                guard let chain = code.chainID else { return (.replayed(code), []) }
                let events = try await Self.revokeChain(issuerID: issuerID, chainID: chain, reason: "authorization code replayed",
                                                        kind: .authorizationCodeReplay, now: now, connection, logger: logger)
                try await Self.announce(events, connection, logger: logger)
                return (.replayed(code), events)
            }
            code.usedAt = now
            code.chainID = chainID
            try await connection.query("""
                UPDATE authorization_code SET used_at = \(now.timeIntervalSince1970), chain_id = \(chainID)
                WHERE issuer_id = \(issuerID) AND code_hash = \(codeHash)
                """, logger: logger)
            return (.redeemed(code), [])
        }
        publish(events)
        return redemption
    }

    // MARK: Refresh tokens

    package func spendRefreshToken(issuerID: String, tokenHash: String, now: Date) async throws(StoreError) -> RefreshExchange {
        let (exchange, events): (RefreshExchange, [TokenEvent]) = try await write { connection, logger in
            guard let row = try await Self.rows("""
                SELECT * FROM refresh_token WHERE issuer_id = \(issuerID) AND token_hash = \(tokenHash) FOR UPDATE
                """, connection, logger: logger).first else { return (.unknown, []) }
            var token = try PostgresProviderRows.refreshToken(from: row)
            if token.revokedAt != nil || token.expiresAt <= now { return (.inactive(token), []) }
            if token.spentAt != nil {
                let events = try await Self.revokeChain(issuerID: issuerID, chainID: token.chainID, reason: "refresh token reused",
                                                        kind: .refreshTokenReuse, now: now, connection, logger: logger)
                try await Self.announce(events, connection, logger: logger)
                return (.reused(token), events)
            }
            token.spentAt = now
            try await connection.query("""
                UPDATE refresh_token SET spent_at = \(now.timeIntervalSince1970) WHERE issuer_id = \(issuerID) AND token_hash = \(tokenHash)
                """, logger: logger)
            return (.exchanged(token), [])
        }
        publish(events)
        return exchange
    }

    package func refreshToken(issuerID: String, tokenHash: String) async throws(StoreError) -> RefreshTokenRecord? {
        try await read { connection, logger in
            try await Self.rows("SELECT * FROM refresh_token WHERE issuer_id = \(issuerID) AND token_hash = \(tokenHash)",
                                connection, logger: logger).first.map(PostgresProviderRows.refreshToken(from:))
        }
    }

    package func refreshChain(issuerID: String, chainID: String) async throws(StoreError) -> [RefreshTokenRecord] {
        try await fetchAll("""
                SELECT * FROM refresh_token WHERE issuer_id = \(issuerID) AND chain_id = \(chainID) ORDER BY issued_at, token_id
                """, PostgresProviderRows.refreshToken(from:))
    }

    package func revokeChain(issuerID: String, chainID: String, reason: String, kind: TokenRevocationReason,
                             now: Date) async throws(StoreError) {
        let events = try await write { connection, logger in
            let events = try await Self.revokeChain(issuerID: issuerID, chainID: chainID, reason: reason, kind: kind, now: now,
                                                    connection, logger: logger)
            try await Self.announce(events, connection, logger: logger)
            return events
        }
        publish(events)
    }

    /// Revokes a chain inside the caller's transaction, under the chain's lock (see the type's notes).
    static func revokeChain(issuerID: String, chainID: String, reason: String, kind: TokenRevocationReason, now: Date,
                            _ connection: PostgresConnection, logger: Logger) async throws -> [TokenEvent] {
        try await lockChain(issuerID: issuerID, chainID: chainID, connection, logger: logger)
        try await connection.query("""
            INSERT INTO chain_revocation (issuer_id, chain_id, revoked_at, reason)
            VALUES (\(issuerID), \(chainID), \(now.timeIntervalSince1970), \(reason)) ON CONFLICT DO NOTHING
            """, logger: logger)
        try await connection.query("""
            UPDATE refresh_token SET revoked_at = \(now.timeIntervalSince1970), revocation_reason = \(reason)
            WHERE issuer_id = \(issuerID) AND chain_id = \(chainID) AND revoked_at IS NULL
            """, logger: logger)
        let tokenIDs = try await rows("""
            SELECT i.jti FROM issuance i
            WHERE i.issuer_id = \(issuerID) AND i.chain_id = \(chainID)
              AND NOT EXISTS (SELECT 1 FROM token_revocation r WHERE r.issuer_id = i.issuer_id AND r.jti = i.jti)
            ORDER BY i.sequence
            """, connection, logger: logger).map { try $0["jti"].decode(String.self) }
        var events: [TokenEvent] = []
        for tokenID in tokenIDs {
            if let event = try await revokeToken(issuerID: issuerID, tokenID: tokenID, reason: reason, kind: kind, now: now,
                                                 connection, logger: logger) {
                events.append(event)
            }
        }
        return events
    }

    // MARK: Revocations and token events

    package func revokeToken(issuerID: String, tokenID: String, reason: String, kind: TokenRevocationReason,
                             now: Date) async throws(StoreError) {
        let event = try await write { connection, logger in
            let event = try await Self.revokeToken(issuerID: issuerID, tokenID: tokenID, reason: reason, kind: kind, now: now,
                                                   connection, logger: logger)
            try await Self.announce(event.map { [$0] } ?? [], connection, logger: logger)
            return event
        }
        publish(event.map { [$0] } ?? [])
    }

    /// Records the revocation (once) and, for a live access token of the ledger, appends the
    /// issuer's next token event, inside the caller's transaction.
    static func revokeToken(issuerID: String, tokenID: String, reason: String, kind: TokenRevocationReason, now: Date,
                            _ connection: PostgresConnection, logger: Logger) async throws -> TokenEvent? {
        let inserted = try await rows("""
            INSERT INTO token_revocation (issuer_id, jti, revoked_at, reason)
            VALUES (\(issuerID), \(tokenID), \(now.timeIntervalSince1970), \(reason)) ON CONFLICT DO NOTHING RETURNING jti
            """, connection, logger: logger)
        guard !inserted.isEmpty,
              let row = try await rows("""
                SELECT kind, audience, expires_at FROM issuance WHERE issuer_id = \(issuerID) AND jti = \(tokenID)
                """, connection, logger: logger).first,
              try row["kind"].decode(String.self) == IssuanceRecord.TokenKind.access.rawValue else { return nil }
        let expiresAt = try row["expires_at"].decode(Double.self)
        guard expiresAt > now.timeIntervalSince1970 else { return nil }
        let audience = try row["audience"].decode(String.self)
        let sequence = try await tokenEventLog.nextSequence(connection, partition: issuerID, logger: logger)
        try await connection.query("""
            INSERT INTO token_event (issuer_id, sequence, jti, audience, expires_at, reason, at)
            VALUES (\(issuerID), \(sequence), \(tokenID), \(audience), \(expiresAt), \(kind.rawValue), \(now.timeIntervalSince1970))
            """, logger: logger)
        return TokenEvent(issuerID: issuerID, sequence: sequence, tokenID: tokenID, audience: StringList.decode(audience),
                          expiresAt: Date(timeIntervalSince1970: expiresAt), reason: kind, at: now)
    }

    package func revocation(issuerID: String, tokenID: String) async throws(StoreError) -> TokenRevocation? {
        try await read { connection, logger in
            try await Self.rows("SELECT revoked_at, reason FROM token_revocation WHERE issuer_id = \(issuerID) AND jti = \(tokenID)",
                                connection, logger: logger).first.map { row in
                TokenRevocation(at: Date(timeIntervalSince1970: try row["revoked_at"].decode(Double.self)),
                                reason: try row["reason"].decode(String.self))
            }
        }
    }

    package func recordAssertion(issuerID: String, clientID: String, tokenID: String, expiresAt: Date) async throws(StoreError) -> Bool {
        try await write { connection, logger in
            try await !Self.rows("""
                INSERT INTO client_assertion (issuer_id, client_id, jti, expires_at)
                VALUES (\(issuerID), \(clientID), \(tokenID), \(expiresAt.timeIntervalSince1970)) ON CONFLICT DO NOTHING RETURNING jti
                """, connection, logger: logger).isEmpty
        }
    }

    package func tokenEvents(issuerID: String, after sequence: Int64, limit: Int) async throws(StoreError) -> [TokenEvent] {
        try await fetchAll("""
                SELECT * FROM token_event WHERE issuer_id = \(issuerID) AND sequence > \(sequence) ORDER BY sequence
                LIMIT \(Int64(max(0, limit)))
                """, PostgresProviderRows.tokenEvent(from:))
    }

    package func latestTokenEventSequence(issuerID: String) async throws(StoreError) -> Int64 {
        try await read { connection, logger in
            try await connection.single(Int64.self, "SELECT COALESCE(MAX(sequence), 0) FROM token_event WHERE issuer_id = \(issuerID)",
                                        logger: logger) ?? 0
        }
    }

    package func firstLiveTokenEventSequence(issuerID: String, now: Date) async throws(StoreError) -> Int64 {
        try await read { connection, logger in
            // One statement: one snapshot for both numbers. Each half reads an index (the live rows
            // by (issuer_id, expires_at), the latest by the primary key), not the issuer's whole log.
            try await connection.single(Int64.self, """
                SELECT COALESCE(
                    (SELECT MIN(sequence) FROM token_event WHERE issuer_id = \(issuerID) AND expires_at > \(now.timeIntervalSince1970)),
                    (SELECT MAX(sequence) + 1 FROM token_event WHERE issuer_id = \(issuerID)),
                    1)
                """, logger: logger) ?? 1
        }
    }

    /// Announces, inside the transaction, that `events` were appended: every node's streams of
    /// their issuers wake when it commits.
    static func announce(_ events: [TokenEvent], _ connection: PostgresConnection, logger: Logger) async throws {
        var issuers: [[UInt8]: String] = [:]
        for event in events { issuers[Array(event.issuerID.utf8)] = event.issuerID }
        for issuerID in issuers.values {
            try await PostgresChangeChannel.announce(PostgresStoreChange.tokenEvents(issuerID: issuerID).payload, connection, logger: logger)
        }
    }

    /// Tells this process's observers of `events`, after their transaction committed.
    func publish(_ events: [TokenEvent]) {
        guard !events.isEmpty else { return }
        tokenEventsAppended.notify(events)
    }

    // MARK: Pruning

    /// Deletes expired client-assertion ids and authorization codes, by the rules the SQLite store
    /// follows. Refresh tokens are never deleted here (the schema refuses it): every spent token
    /// keeps detecting reuse for as long as the database keeps it.
    package func prune(now: Date, margin: TimeInterval) async throws(StoreError) -> PruneReport {
        let cutoff = now.timeIntervalSince1970 - max(0, margin)
        let current = now.timeIntervalSince1970
        let usedCutoff = min(cutoff, current - PruneReport.redeemedCodeRetention)
        return try await write { connection, logger in
            var report = PruneReport()
            report.clientAssertions = try await Self.rows(
                "DELETE FROM client_assertion WHERE expires_at <= \(cutoff) RETURNING jti", connection, logger: logger).count
            report.authorizationCodes = try await Self.rows("""
                DELETE FROM authorization_code c
                WHERE (c.used_at IS NULL AND c.expires_at <= \(cutoff))
                   OR (c.used_at IS NOT NULL AND c.expires_at <= \(usedCutoff)
                       AND (c.chain_id IS NULL
                            OR NOT EXISTS (SELECT 1 FROM refresh_token r
                                           WHERE r.issuer_id = c.issuer_id AND r.chain_id = c.chain_id
                                             AND r.revoked_at IS NULL AND r.expires_at > \(current))
                            OR EXISTS (SELECT 1 FROM chain_revocation v WHERE v.issuer_id = c.issuer_id AND v.chain_id = c.chain_id)))
                RETURNING code_hash
                """, connection, logger: logger).count
            return report
        }
    }
}
