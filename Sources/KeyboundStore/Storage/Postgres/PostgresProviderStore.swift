import Foundation
package import KeyboundPostgres
internal import PostgresNIO
import Logging

/// The ``ProviderStore`` on PostgreSQL, shared by every node of a deployment.
///
/// - A write runs at READ COMMITTED, so a statement that follows a lock sees what the previous
///   holder committed. Rows that one request changes and another may race for (a code, a refresh
///   token) are read `FOR UPDATE`.
/// - A refresh chain is serialised by a transaction advisory lock of its own, taken by the
///   chain's revocation and by every ledger commit that carries the chain's tokens: tokens of a
///   chain revoked while they waited for the commit are refused (``StoreError/Code/chainRevoked``),
///   never handed out unrevoked.
/// - The ledger and the token events are ``CommitOrderedLog``s; token events have one sequence
///   per issuer. The ledger is written by group commit (``PostgresGroupCommit``).
///
/// The backend's pool must be running (``PostgresBackend/run()``) while the store is used.
package final class PostgresProviderStore: ProviderStore {
    /// The ledger: numbered in commit order across nodes.
    static let ledgerLog = CommitOrderedLog(table: "issuance", lockKey: 0x4B42_0000_0000_0201)
    /// The token events: one commit-ordered sequence per issuer.
    static let tokenEventLog = CommitOrderedLog(table: "token_event", lockKey: 0x4B42_0000_0000_0202, partitionColumn: "issuer_id")
    /// The high 32 bits of a refresh chain's advisory lock ("KB" 0x0203): the low 32 bits hash the chain.
    static let chainLockClass: Int32 = 0x4B42_0203

    /// The database.
    package let database: PostgresBackend
    /// Told, after the commit, of token events this instance appended.
    package let tokenEventsAppended = StoreObservers<[TokenEvent]>()
    /// Told of each committed ledger batch.
    package let ledgerBatches = StoreObservers<LedgerBatch>()
    let ledgerWriter: PostgresGroupCommit<IssuanceEntry, Result<[TokenEvent], StoreError>>

    /// The provider store in `database`, whose schema ``KeyboundPostgresSchema/migrate(_:)`` has
    /// brought up to date. A ledger batch holds at most `maximumLedgerBatch` requests.
    package init(database: PostgresBackend, maximumLedgerBatch: Int = 512) {
        self.database = database
        let observers = ledgerBatches
        let logger = database.logger
        ledgerWriter = PostgresGroupCommit(database: database, maximumBatch: maximumLedgerBatch,
                                           onBatch: { size, seconds in observers.notify(LedgerBatch(size: size, seconds: seconds)) },
                                           batch: { entries, connection in
            try await Self.insertLedgerBatch(entries, connection: connection, logger: logger)
        })
    }

    /// Every node of a deployment serves from these rows.
    package var isSharedByNodes: Bool { true }

    package func probe() async throws(StoreError) {
        _ = try await read { connection, logger in
            try await connection.single(Int64.self, "SELECT count(*) FROM keybound_schema_version", logger: logger)
        }
    }

    // MARK: Transactions

    /// Runs `body` on one pooled connection, outside a transaction (one statement reads are atomic).
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws(StoreError) -> T {
        let logger = database.logger
        return try await Self.call { try await self.database.withConnection { connection in try await body(connection, logger) } }.get()
    }

    /// The rows of one statement, each decoded by `decode` (one pooled connection, no transaction).
    func fetchAll<T: Sendable>(_ query: PostgresQuery,
                               _ decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> T) async throws(StoreError) -> [T] {
        try await read { connection, logger in try await Self.rows(query, connection, logger: logger).map(decode) }
    }

    /// The first row of one statement, decoded by `decode`, or `nil` when there is none.
    func fetchOne<T: Sendable>(_ query: PostgresQuery,
                               _ decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> T) async throws(StoreError) -> T? {
        try await read { connection, logger in try await Self.rows(query, connection, logger: logger).first.map(decode) }
    }

    /// Runs `body` in one READ COMMITTED transaction. A unique-key violation becomes `conflict`
    /// when it is given.
    @discardableResult
    func write<T: Sendable>(conflict: StoreError? = nil,
                            _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws(StoreError) -> T {
        let logger = database.logger
        return try await Self.call(conflict: conflict) {
            try await self.database.withTransaction { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
                return try await body(connection, logger)
            }
        }.get()
    }

    /// The outcome of `body` with every error as a ``StoreError``: a store error as it is, a
    /// unique-key violation as `conflict` (when given), any other database error as
    /// ``StoreError/Code/storage`` with the server's message (never a bound value).
    static func call<T: Sendable>(conflict: StoreError? = nil, _ body: () async throws -> T) async -> Result<T, StoreError> {
        do {
            return .success(try await body())
        } catch {
            return .failure(storeError(error, conflict: conflict))
        }
    }

    /// `error` as a ``StoreError``: a store error as it is; a unique-key violation as `conflict`
    /// (when given); any other database error as ``StoreError/Code/storage`` with the server's
    /// message (a constraint's or trigger's words, never a bound value); anything else (the
    /// pool's own errors, a deadline) as a database that cannot be reached, also `storage`.
    static func storeError(_ error: any Error, conflict: StoreError? = nil) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresStorageError { return StoreError(.storage, error.message) }
        if let error = error as? PSQLError {
            if let conflict, error.serverInfo?[.sqlState] == "23505" { return conflict }
            return StoreError(.storage, "the database refused: \(error.serverInfo?[.message] ?? "\(error.code)")")
        }
        return StoreError(.storage, "the database cannot be reached: \(String(reflecting: type(of: error)))")
    }

    /// Takes the transaction advisory lock of issuer `issuerID`'s refresh chain `chainID`.
    static func lockChain(issuerID: String, chainID: String, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            SELECT pg_advisory_xact_lock(\(chainLockClass),
                                         hashtext(\(issuerID) || chr(1) || \(chainID)))
            """, logger: logger)
    }

    /// Rows of `query`, read to the end.
    static func rows(_ query: PostgresQuery, _ connection: PostgresConnection, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }
}
