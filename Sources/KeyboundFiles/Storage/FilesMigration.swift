import Foundation
internal import GRDB
package import KeyboundPostgres
internal import KeyboundSQLite
import KeyboundResourceKit
import Logging
internal import PostgresNIO

/// `keybound migrate`'s copy of a data directory's `files.sqlite` into PostgreSQL: every file,
/// exactly as stored (`drive_file`), a page at a time by its key.
extension FilesService: MigratingResource {
    /// The copy of the files store in `directory`, or `nil` when it has none.
    package static func migrationPart(directory: URL) -> MigrationPart? {
        let path = directory.appendingPathComponent(FileStore.fileName).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return MigrationPart(name: "files", tables: ["drive_file"]) { connection, logger in
            let queue = try SQLiteDatabase.openReadOnly(path: path)
            defer { try? queue.close() }
            var after: [String] = ["", "", "", ""], copied = 0
            while true {
                let from = after
                let page = try queue.read { db in
                    try Row.fetchAll(db, sql: """
                        SELECT * FROM drive_file WHERE (issuer, tenant_id, owner, name) > (?, ?, ?, ?)
                        ORDER BY issuer, tenant_id, owner, name LIMIT 100
                        """, arguments: StatementArguments(from))
                }
                guard let last = page.last else { break }
                for row in page {
                    try await connection.query("""
                        INSERT INTO drive_file (issuer, tenant_id, owner, name, content_type, content, modified_at_ms)
                        VALUES (\(row["issuer"] as String), \(row["tenant_id"] as String), \(row["owner"] as String), \(row["name"] as String),
                                \(row["content_type"] as String), \(ByteBuffer(bytes: row["content"] as Data)), \(row["modified_at_ms"] as Int64))
                        """, logger: logger)
                }
                copied += page.count
                after = ["issuer", "tenant_id", "owner", "name"].map { last[$0] as String }
            }
            try await MigrationPart.check("drive_file", expected: copied, connection, logger: logger)
            return [("drive_file", copied)]
        }
    }
}
