import Foundation
internal import KeyboundPostgres
internal import PostgresNIO
import Logging

extension PostgresProviderStore {
    package func commit(_ entry: IssuanceEntry) async throws(StoreError) {
        let outcome: Result<[TokenEvent], StoreError>
        do {
            outcome = try await ledgerWriter.submit(entry)
        } catch {
            throw Self.storeError(error)
        }
        publish(try outcome.get())
    }

    /// Writes one batch of entries in the writer's open transaction. An entry whose chain was
    /// revoked, or that was minted from a copy of a directory that has changed since, gets its own
    /// failure and is left out; the others are written. A duplicate `jti`
    /// fails the whole transaction, and the writer retries each entry alone. A written entry's
    /// outcome is its access tokens' issuance events, appended to their issuers' token-event logs
    /// in the same transaction (and announced, so every node's streams wake when it commits).
    static func insertLedgerBatch(_ entries: [IssuanceEntry], connection: PostgresConnection,
                                  logger: Logger) async throws -> [Result<[TokenEvent], StoreError>] {
        try await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
        // Every chain of the batch is locked in one order, so two batches never wait on each other
        // in a cycle; a chain's revocation takes the same lock.
        var chains = Set<ChainKey>()
        for entry in entries { chains.formUnion(chainKeys(of: entry)) }
        for chain in chains.sorted() {
            try await lockChain(issuerID: chain.issuerID, chainID: chain.chainID, connection, logger: logger)
        }
        var revoked = Set<ChainKey>()
        for chain in chains.sorted() {
            let found = try await connection.single(Int32.self, """
                SELECT 1 FROM chain_revocation WHERE issuer_id = \(chain.issuerID) AND chain_id = \(chain.chainID)
                """, logger: logger)
            if found != nil { revoked.insert(chain) }
        }
        // Tokens minted from a copy of a directory that has changed since are refused: read now,
        // after every change that committed before this statement.
        let expected = entries.compactMap(\.directoryVersion)
        let current = expected.isEmpty ? [:] : try await directoryVersions(expected.map(\.issuerID), connection, logger: logger)
        var outcomes: [Result<[TokenEvent], StoreError>] = []
        var accepted: [IssuanceEntry] = []
        for entry in entries {
            if let version = entry.directoryVersion, current[Array(version.issuerID.utf8)] != version.version {
                outcomes.append(.failure(StoreError(.directoryChanged,
                                                    "issuer '\(version.issuerID)''s directory changed after the tokens were minted")))
            } else if let chain = chainKeys(of: entry).first(where: revoked.contains) {
                outcomes.append(.failure(StoreError(.chainRevoked,
                                                    "refresh chain '\(chain.chainID)' was revoked before its tokens were committed")))
            } else {
                outcomes.append(.success([]))
                accepted.append(entry)
            }
        }
        let records = accepted.flatMap(\.records)
        if !records.isEmpty {
            let first = try await ledgerLog.nextSequence(connection, logger: logger)
            try await insert(records, firstSequence: first, connection, logger: logger)
        }
        for refresh in accepted.compactMap(\.refreshToken) {
            try await insert(refresh, connection, logger: logger)
        }
        let events = try await appendIssued(records, connection, logger: logger)
        try await announce(events, connection, logger: logger)
        var byToken: [ExactTokenKey: TokenEvent] = [:]
        for event in events { byToken[ExactTokenKey(event.issuerID, event.tokenID)] = event }
        for (index, entry) in entries.enumerated() {
            guard case .success = outcomes[index] else { continue }
            outcomes[index] = .success(entry.records.compactMap { byToken[ExactTokenKey($0.issuerID, $0.tokenID)] })
        }
        return outcomes
    }

    /// An (issuer, `jti`) pair, hashed by exact bytes.
    private struct ExactTokenKey: Hashable {
        let bytes: [UInt8]
        init(_ issuerID: String, _ tokenID: String) { bytes = Array(issuerID.utf8) + [0] + Array(tokenID.utf8) }
    }

    /// Appends the issuance event of each access token in `records`, numbered on from each
    /// issuer's latest event under the token-event log's lock (one statement for the batch).
    private static func appendIssued(_ records: [IssuanceRecord], _ connection: PostgresConnection,
                                     logger: Logger) async throws -> [TokenEvent] {
        var next: [[UInt8]: Int64] = [:]
        var events: [TokenEvent] = []
        for record in records where record.kind == .access {
            let issuer = Array(record.issuerID.utf8)
            let sequence: Int64
            if let known = next[issuer] {
                sequence = known
            } else {
                sequence = try await tokenEventLog.nextSequence(connection, partition: record.issuerID, logger: logger)
            }
            next[issuer] = sequence + 1
            events.append(TokenEvent.issued(record, sequence: sequence))
        }
        guard !events.isEmpty else { return [] }
        var binds = PostgresBindings(capacity: events.count * 8)
        for event in events {
            binds.append(event.issuerID)
            binds.append(event.sequence)
            binds.append(event.tokenID)
            binds.append(StringList.encode(event.audience))
            binds.append(event.expiresAt.timeIntervalSince1970)
            binds.append(event.storedReason)
            binds.append(event.at.timeIntervalSince1970)
            binds.append(event.storedClaimsDigest)
        }
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO token_event (issuer_id, sequence, jti, audience, expires_at, reason, at, claims_digest)
            VALUES \(valuesPlaceholders(rows: events.count, columns: 8))
            """, binds: binds), logger: logger)
        return events
    }

    /// A refresh chain of an issuer, hashed and ordered by exact bytes (Swift's `String` equality
    /// would merge canonically equivalent ids).
    struct ChainKey: Hashable, Comparable {
        let issuerID: String
        let chainID: String
        private let bytes: [UInt8]

        init(issuerID: String, chainID: String) {
            self.issuerID = issuerID
            self.chainID = chainID
            bytes = Array(issuerID.utf8) + [0] + Array(chainID.utf8)
        }

        static func == (lhs: ChainKey, rhs: ChainKey) -> Bool { lhs.bytes == rhs.bytes }
        func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
        static func < (lhs: ChainKey, rhs: ChainKey) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
    }

    static func chainKeys(of entry: IssuanceEntry) -> [ChainKey] {
        var keys = entry.records.compactMap { record in record.chainID.map { ChainKey(issuerID: record.issuerID, chainID: $0) } }
        if let refresh = entry.refreshToken { keys.append(ChainKey(issuerID: refresh.issuerID, chainID: refresh.chainID)) }
        return keys
    }

    /// The ledger's columns, in the order ``insert(_:firstSequence:_:logger:)`` binds them.
    private static let issuanceColumns = """
        sequence, issuer_id, jti, kid, kind, subject, client_id, audience, scope, roles, tenant_id,
        issued_at, expires_at, parent_jti, session_id, chain_id, grant_type, claims_digest
        """
    private static let issuanceColumnCount = 18

    /// Inserts a batch's ledger rows in one statement, numbered from `firstSequence` (one round
    /// trip for the batch: with a row per statement, the round trips bounded the ledger). A `jti`
    /// the issuer already used fails the statement, and so the batch, whose entries the writer
    /// then retries one by one.
    private static func insert(_ records: [IssuanceRecord], firstSequence: Int64, _ connection: PostgresConnection,
                               logger: Logger) async throws {
        var binds = PostgresBindings(capacity: records.count * issuanceColumnCount)
        for (offset, record) in records.enumerated() {
            binds.append(firstSequence + Int64(offset))
            binds.append(record.issuerID)
            binds.append(record.tokenID)
            binds.append(record.keyID)
            binds.append(record.kind.rawValue)
            binds.append(record.subject)
            binds.append(record.clientID)
            binds.append(StringList.encode(record.audience))
            binds.append(record.scope)
            binds.append(StringList.encode(record.roles))
            binds.append(record.tenantID)
            binds.append(record.issuedAt.timeIntervalSince1970)
            binds.append(record.expiresAt.timeIntervalSince1970)
            binds.append(record.parentTokenID)
            binds.append(record.sessionID)
            binds.append(record.chainID)
            binds.append(record.grantType)
            binds.append(record.claimsDigest)
        }
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO issuance (\(issuanceColumns)) VALUES \(valuesPlaceholders(rows: records.count, columns: issuanceColumnCount))",
                                                     binds: binds), logger: logger)
        } catch let error as PSQLError {
            guard error.serverInfo?[.sqlState] == "23505" else { throw error }
            let ids = records.map { "'\($0.tokenID)'" }.joined(separator: ", ")
            throw StoreError(.duplicateToken, "a token id of \(ids) is already in its issuer's ledger")
        }
    }

    private static func insert(_ token: RefreshTokenRecord, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO refresh_token (issuer_id, token_hash, token_id, client_id, subject, scope, resource, chain_id,
                parent_token_id, session_id, auth_time, issued_at, expires_at, spent_at, revoked_at, revocation_reason)
            VALUES (\(token.issuerID), \(token.tokenHash), \(token.tokenID), \(token.clientID), \(token.subject), \(token.scope),
                    \(token.resource), \(token.chainID), \(token.parentTokenID), \(token.sessionID), \(token.authTime?.timeIntervalSince1970),
                    \(token.issuedAt.timeIntervalSince1970), \(token.expiresAt.timeIntervalSince1970), NULL, NULL, NULL)
            """, logger: logger)
    }

    package func issuance(issuerID: String, tokenID: String) async throws(StoreError) -> IssuanceRecord? {
        try await fetchOne("SELECT * FROM issuance WHERE issuer_id = \(issuerID) AND jti = \(tokenID)", PostgresProviderRows.issuance(from:))
    }

    package func issuanceStatus(issuerID: String, tokenID: String) async throws(StoreError) -> IssuanceStatus? {
        try await read { connection, logger in
            try await Self.rows("""
                SELECT i.*, r.reason AS revocation_reason FROM issuance i
                LEFT JOIN token_revocation r ON r.issuer_id = i.issuer_id AND r.jti = i.jti
                WHERE i.issuer_id = \(issuerID) AND i.jti = \(tokenID)
                """, connection, logger: logger).first.map { row in
                IssuanceStatus(record: try PostgresProviderRows.issuance(from: row),
                               revocationReason: try row["revocation_reason"].decode(String?.self))
            }
        }
    }

    package func issuances(issuerID: String, keyID: String) async throws(StoreError) -> [IssuanceRecord] {
        try await read { connection, logger in
            try await Self.rows("SELECT * FROM issuance WHERE issuer_id = \(issuerID) AND kid = \(keyID) ORDER BY sequence",
                                connection, logger: logger).map(PostgresProviderRows.issuance(from:))
        }
    }

    package func issuances(after sequence: Int64, limit: Int) async throws(StoreError) -> [IssuanceRecord] {
        try await read { connection, logger in
            try await Self.rows("SELECT * FROM issuance WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(Int64(max(0, limit)))",
                                connection, logger: logger).map(PostgresProviderRows.issuance(from:))
        }
    }
}
