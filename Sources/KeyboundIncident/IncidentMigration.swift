import Foundation
package import KeyboundPostgres
import Logging
internal import PostgresNIO

/// `keybound migrate`'s copy of a data directory's incidents into PostgreSQL: each incident's
/// state and every document of its folder.
package enum IncidentMigration {
    /// The copy of the incidents under `dataDirectory`, or `nil` when it has none.
    package static func part(dataDirectory: URL) async throws(IncidentError) -> MigrationPart? {
        let folders = FolderIncidentStore(dataDirectory: dataDirectory)
        let incidents = try await folders.incidents()
        guard !incidents.isEmpty else { return nil }
        var copies: [(IncidentRecord, String, [(String, String)])] = []
        for incident in incidents {
            var documents: [(String, String)] = []
            for name in try await folders.documentNames(incidentID: incident.id) {
                if let text = try await folders.document(named: name, incidentID: incident.id) { documents.append((name, text)) }
            }
            copies.append((incident, try PostgresIncidentStore.text(incident), documents))
        }
        let rows = copies
        return MigrationPart(name: "incidents", tables: ["incident", "incident_document"]) { connection, logger in
            var documentCount = 0
            for (incident, state, documents) in rows {
                let written = incident.completed.last?.completedAt ?? incident.openedAt
                try await connection.query("""
                    INSERT INTO incident (id, issuer_id, kid, opened_at, state, updated_at)
                    VALUES (\(incident.id), \(incident.issuerID), \(incident.keyID), \(incident.openedAt.timeIntervalSince1970), \(state),
                            \(written.timeIntervalSince1970))
                    """, logger: logger)
                for (name, body) in documents {
                    try await connection.query("""
                        INSERT INTO incident_document (incident_id, name, body, written_at)
                        VALUES (\(incident.id), \(name), \(body), \(written.timeIntervalSince1970))
                        """, logger: logger)
                }
                documentCount += documents.count
            }
            try await MigrationPart.check("incident", expected: rows.count, connection, logger: logger)
            try await MigrationPart.check("incident_document", expected: documentCount, connection, logger: logger)
            return [("incident", rows.count), ("incident_document", documentCount)]
        }
    }
}
