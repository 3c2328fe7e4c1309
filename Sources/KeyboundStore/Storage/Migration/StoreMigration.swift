import Foundation
internal import GRDB
package import KeyboundPostgres
internal import PostgresNIO
import Logging

/// `keybound migrate`: copies a SQLite data directory's key store and provider store into an
/// empty PostgreSQL database, in one transaction (all of it, or nothing).
///
/// - Sealed keys are copied as they are, sealed under the same KEK (the database needs that KEK,
///   `KEYBOUND_KEK_FILE`, on every node); the key store's KEK fingerprint comes along.
/// - Sequence numbers are kept: key events, ledger rows and each issuer's token events have the
///   same numbers in the database, so a validator resuming a stream by sequence misses nothing.
/// - A target that holds any issuer, key or provider row is refused.
/// - After the copy, every table's row count in the database is checked against the file's; a
///   difference rolls the whole copy back.
package enum StoreMigration {
    /// What was copied: rows per table (in copy order), and rows left behind, with why.
    package struct Report: Sendable {
        package var copied: [(table: String, rows: Int)] = []
        package var leftBehind: [(table: String, rows: Int)] = []
    }

    /// Copies the stores in `directory` into the PostgreSQL database at `location`, bringing its
    /// schema up to date first (a newer schema is refused).
    package static func copy(from directory: URL, to location: DatabaseLocation, environment: [String: String], logger: Logger,
                             sealing: [(SealedSecret, [UInt8])] = [], kek: KeyEncryptionKey? = nil,
                             parts: [MigrationPart] = []) async throws(StoreError) -> Report {
        guard case .postgres(let settings) = location else {
            throw StoreError(.invalidIssuer, "migrate copies into a PostgreSQL database")
        }
        let stores = try await PostgresStores.open(settings, environment: environment, logger: logger, maximumConnections: 2)
        return try await copy(from: directory, to: stores.database, sealing: sealing, kek: kek, parts: parts)
    }

    /// The store's sealed secrets as (metadata name, sealed text).
    private static func sealedSecrets(_ session: any KeyStoreSession) async throws -> [(String, String)] {
        var secrets: [(String, String)] = []
        for name in SealedSecret.allCases {
            if let sealed = try await session.metadata(name.metadataName) { secrets.append((name.metadataName, sealed)) }
        }
        return secrets
    }

    /// Copies the stores in `directory` into `database` (whose schema is up to date), then each of
    /// `parts` (the audit log, mail, incidents), all in one transaction.
    ///
    /// `sealing` are secrets the directory keeps unsealed (the audit log's key file): each is
    /// sealed under `kek`, which must be the store's own KEK, as the key store's sealed secret.
    package static func copy(from directory: URL, to database: PostgresBackend, sealing: [(SealedSecret, [UInt8])] = [],
                             kek: KeyEncryptionKey? = nil, parts: [MigrationPart] = []) async throws(StoreError) -> Report {
        let keys = try SQLiteKeyStore(directory: directory)
        let provider = try SQLiteProviderStore(directory: directory)
        let logger = database.logger
        let result: Result<Report, StoreError> = await PostgresProviderStore.call {
            let source = try await keys.read { session in
                (issuers: try await session.issuers(), keys: try await session.keys(issuerID: nil),
                 events: try await session.events(after: 0, limit: Int.max),
                 kekFingerprint: try await session.metadata(KeyManager.kekFingerprintName),
                 secrets: try await sealedSecrets(session))
            }
            let tables = try provider.pool.read { db in try ProviderTableCopy.all.map { ($0, try $0.read(db)) } }
            return try await database.withTransactionWaiting(deadline: .seconds(3_600)) { connection in
                try await refuseNonEmpty(connection, logger: logger, also: parts.flatMap(\.tables))
                var report = Report()
                let session = PostgresKeySession(connection: connection, logger: logger)
                for issuer in source.issuers { try await session.insert(issuer) }
                for key in source.keys { try await session.insert(key) }
                for event in source.events {
                    try await connection.query("""
                        INSERT INTO key_event (sequence, issuer_id, kid, kind, at, actor, reason)
                        VALUES (\(event.sequence), \(event.issuerID), \(event.keyID), \(event.kind.rawValue), \(event.at.timeIntervalSince1970),
                                \(event.actor), \(event.reason))
                        """, logger: logger)
                }
                if let fingerprint = source.kekFingerprint { try await session.setMetadata(KeyManager.kekFingerprintName, fingerprint) }
                // Sealed secrets as they are: the same KEK opens them on the other side.
                for (name, sealed) in source.secrets { try await session.setMetadata(name, sealed) }
                for (name, secret) in sealing {
                    guard let kek else { throw StoreError(.missingKEK, "sealing the \(name.rawValue) needs the key store's KEK (KEYBOUND_KEK_FILE)") }
                    guard source.kekFingerprint == nil || source.kekFingerprint == kek.fingerprint else {
                        throw StoreError(.wrongKEK, "the KEK given is not the key store's: the \(name.rawValue) must be sealed under the KEK every node uses")
                    }
                    guard !source.secrets.contains(where: { $0.0 == name.metadataName }) else {
                        throw StoreError(.invariantViolated, "the key store has a sealed \(name.rawValue) already, and the directory another")
                    }
                    try await session.setMetadata(name.metadataName, Data(try await KeySealer(kek: kek).seal(secret, as: name)).base64EncodedString())
                }
                for (table, expected) in [("issuer", source.issuers.count), ("signing_key", source.keys.count), ("key_event", source.events.count)] {
                    let found = try await connection.single(Int64.self, PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger)
                    try check(table, expected: expected, found: Int(found ?? 0))
                    report.copied.append((table, expected))
                }
                for (name, _) in sealing { report.copied.append(("sealed secret \(name.rawValue)", 1)) }
                for (table, read) in tables {
                    try await table.write(read.rows, connection, logger: logger)
                    try check(table.target, expected: read.rows.count, found: try await table.count(connection, logger: logger))
                    report.copied.append((table.target, read.rows.count))
                    if read.leftBehind > 0 { report.leftBehind.append((table.source, read.leftBehind)) }
                }
                for part in parts { report.copied += try await part.copy(connection, logger) }
                return report
            }
        }
        return try result.get()
    }

    private static func refuseNonEmpty(_ connection: PostgresConnection, logger: Logger, also: [String]) async throws {
        for table in ["issuer", "signing_key", "key_event"] + ProviderTableCopy.all.map(\.target) + also {
            let rows = try await connection.single(Int64.self, PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger) ?? 0
            guard rows == 0 else {
                throw StoreError(.invariantViolated, "the target database is not empty (\(table) has \(rows) rows): migrate copies into an empty database only")
            }
        }
    }

    private static func check(_ table: String, expected: Int, found: Int) throws {
        guard expected == found else {
            throw StoreError(.storage, "\(table): \(expected) rows read, \(found) in the database; nothing was copied")
        }
    }
}
