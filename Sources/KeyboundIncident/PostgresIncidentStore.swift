import Foundation
package import KeyboundPostgres
import Logging
internal import PostgresNIO

/// Incidents in the shared PostgreSQL database (schema version 8: `incident`,
/// `incident_document`), so every node and every operator's tool sees the same incidents, and a
/// response interrupted on one machine resumes on another.
public struct PostgresIncidentStore: IncidentStore {
    let database: PostgresBackend

    public var location: String { database.settings.description }

    /// The incidents in `database`, whose schema the key store's migrator has brought to version 8
    /// (``open(database:)`` checks).
    init(database: PostgresBackend) { self.database = database }

    /// The incident store in `database`; refuses a database without the incident tables.
    package static func open(database: PostgresBackend) async throws(IncidentError) -> PostgresIncidentStore {
        try await database.requireTable("incident_document", of: "incident", version: 8) { IncidentError(.storage, $0) }
        return PostgresIncidentStore(database: database)
    }

    public func incidents() async throws(IncidentError) -> [IncidentRecord] {
        let logger = database.logger
        return try await Self.call {
            try await database.withReadTransaction { connection in
                try await connection.query("SELECT state FROM incident ORDER BY opened_at, id", logger: logger).collect()
                    .map { try Self.record(try $0.makeRandomAccess()["state"].decode(String.self)) }
            }
        }
    }

    public func incident(id: String) async throws(IncidentError) -> IncidentRecord? {
        let logger = database.logger
        return try await Self.call {
            try await database.withConnection { connection in
                try await connection.single(String.self, "SELECT state FROM incident WHERE id = \(id)", logger: logger).map(Self.record)
            }
        }
    }

    public func open(_ record: IncidentRecord) async throws(IncidentError) -> IncidentRecord {
        let logger = database.logger
        let state = try Self.text(record)
        return try await Self.call {
            try await database.withTransaction { connection in
                try await connection.query("""
                    INSERT INTO incident (id, issuer_id, kid, opened_at, state, updated_at)
                    VALUES (\(record.id), \(record.issuerID), \(record.keyID), \(record.openedAt.timeIntervalSince1970), \(state),
                            \(Date().timeIntervalSince1970))
                    ON CONFLICT (issuer_id, kid) DO NOTHING
                    """, logger: logger)
                guard let stored = try await connection.single(String.self, """
                    SELECT state FROM incident WHERE issuer_id = \(record.issuerID) AND kid = \(record.keyID)
                    """, logger: logger) else {
                    throw IncidentError(.storage, "the incident of key \(record.keyID) of issuer \(record.issuerID) vanished while it was opened")
                }
                return try Self.record(stored)
            }
        }
    }

    public func save(_ record: IncidentRecord) async throws(IncidentError) {
        let logger = database.logger
        let state = try Self.text(record)
        let updated = try await Self.call {
            try await database.withTransaction { connection in
                try await connection.single(Int64.self, """
                    WITH changed AS (UPDATE incident SET state = \(state), updated_at = \(Date().timeIntervalSince1970)
                                     WHERE id = \(record.id) AND issuer_id = \(record.issuerID) AND kid = \(record.keyID) RETURNING 1)
                    SELECT count(*) FROM changed
                    """, logger: logger) ?? 0
            }
        }
        guard updated == 1 else { throw IncidentError(.incidentNotFound, "no incident \(record.id) of key \(record.keyID) of issuer \(record.issuerID) to update") }
    }

    public func write(_ text: String, named name: String, incidentID: String) async throws(IncidentError) {
        guard Self.isDocumentName(name) else { throw IncidentError(.invalidDocumentName, "'\(name)' cannot name an incident document") }
        let logger = database.logger
        _ = try await Self.call {
            try await database.withTransaction { connection in
                try await connection.query("""
                    INSERT INTO incident_document (incident_id, name, body, written_at)
                    VALUES (\(incidentID), \(name), \(text), \(Date().timeIntervalSince1970))
                    ON CONFLICT (incident_id, name) DO UPDATE SET body = EXCLUDED.body, written_at = EXCLUDED.written_at
                    """, logger: logger)
            }
        }
    }

    public func documentNames(incidentID: String) async throws(IncidentError) -> [String] {
        let logger = database.logger
        return try await Self.call {
            try await database.withConnection { connection in
                try await connection.query("SELECT name FROM incident_document WHERE incident_id = \(incidentID) ORDER BY name", logger: logger)
                    .collect().map { try $0.makeRandomAccess()["name"].decode(String.self) }
            }
        }
    }

    public func document(named name: String, incidentID: String) async throws(IncidentError) -> String? {
        let logger = database.logger
        return try await Self.call {
            try await database.withConnection { connection in
                try await connection.single(String.self, "SELECT body FROM incident_document WHERE incident_id = \(incidentID) AND name = \(name)",
                                            logger: logger)
            }
        }
    }

    // MARK: Helpers

    static func text(_ record: IncidentRecord) throws(IncidentError) -> String {
        do { return String(decoding: try IncidentFolder.encoder.encode(record), as: UTF8.self) } catch {
            throw IncidentError(.storage, "cannot encode the incident state: \(error)")
        }
    }

    static func record(_ text: String) throws -> IncidentRecord {
        try IncidentFolder.decoder.decode(IncidentRecord.self, from: Data(text.utf8))
    }

    /// Runs `body`, turning a database error into one line (no password: the settings print without it).
    static func call<T>(_ body: () async throws -> T) async throws(IncidentError) -> T {
        do { return try await body() } catch let error as IncidentError { throw error } catch let error as PostgresStorageError {
            throw IncidentError(.storage, "the incident store is unavailable: \(error.message)")
        } catch let error as PSQLError {
            throw IncidentError(.storage, "the incident store refused the change: \(error.serverInfo?[.message] ?? "\(error.code)")")
        } catch {
            throw IncidentError(.storage, "the incident store is unavailable: \(error)")
        }
    }
}
