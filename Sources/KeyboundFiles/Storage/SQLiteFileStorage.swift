import Foundation
internal import GRDB
internal import KeyboundSQLite

/// Keybound Files' rows in `files.sqlite` (WAL, `synchronous = FULL`): reads run concurrently,
/// writes are single `BEGIN IMMEDIATE` transactions.
final class SQLiteFileStorage: FileStorage {
    let pool: DatabasePool
    let location: String

    init(directory: URL) throws(FileStoreError) {
        (pool, location) = try SQLiteDatabase.openStore(FileStore.fileName, in: directory, migrator: Self.migrator, store: "files store") {
            FileStoreError(.storage, $0)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: drive files") { db in
            try db.execute(sql: """
                CREATE TABLE drive_file (
                    issuer TEXT NOT NULL,
                    tenant_id TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    name TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    content BLOB NOT NULL,
                    modified_at_ms INTEGER NOT NULL,
                    PRIMARY KEY (issuer, tenant_id, owner, name)
                ) WITHOUT ROWID
                """)
        }
        return migrator
    }

    func files(of owner: DriveOwner) async throws(FileStoreError) -> [DriveEntry] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT name, content_type, length(content) AS size, modified_at_ms FROM drive_file
                WHERE issuer = ? AND tenant_id = ? AND owner = ? ORDER BY name
                """, arguments: [owner.issuer, owner.tenantID, owner.subject]).map { row in
                DriveEntry(name: row["name"], contentType: row["content_type"], size: row["size"],
                           modifiedAt: Date(timeIntervalSince1970: Double(row["modified_at_ms"] as Int64) / 1_000))
            }
        }
    }

    func file(_ name: String, of owner: DriveOwner) async throws(FileStoreError) -> DriveFile? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM drive_file WHERE issuer = ? AND tenant_id = ? AND owner = ? AND name = ?",
                             arguments: [owner.issuer, owner.tenantID, owner.subject, name]).map { row in
                DriveFile(issuer: row["issuer"], tenantID: row["tenant_id"], owner: row["owner"], name: row["name"],
                          contentType: row["content_type"], content: [UInt8](row["content"] as Data),
                          modifiedAt: Date(timeIntervalSince1970: Double(row["modified_at_ms"] as Int64) / 1_000))
            }
        }
    }

    func write(_ file: DriveFile, maximumFiles: Int) async throws(FileStoreError) -> Bool {
        let arguments: StatementArguments = [file.issuer, file.tenantID, file.owner]
        do {
            return try await pool.writeImmediate { db in
                let exists = try Row.fetchOne(db, sql: "SELECT 1 FROM drive_file WHERE issuer = ? AND tenant_id = ? AND owner = ? AND name = ?",
                                              arguments: arguments + [file.name]) != nil
                if !exists {
                    let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM drive_file WHERE issuer = ? AND tenant_id = ? AND owner = ?",
                                                 arguments: arguments) ?? 0
                    guard count < maximumFiles else { throw FileStoreError(.driveFull, "the drive holds \(count) files, the most it may") }
                }
                try db.execute(sql: """
                    INSERT INTO drive_file (issuer, tenant_id, owner, name, content_type, content, modified_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (issuer, tenant_id, owner, name) DO UPDATE SET
                        content_type = excluded.content_type, content = excluded.content, modified_at_ms = excluded.modified_at_ms
                    """, arguments: arguments + [file.name, file.contentType, Data(file.content), file.modifiedAtMilliseconds])
                return !exists
            }
        } catch let error as FileStoreError { throw error } catch {
            throw FileStoreError(.storage, "files store write failed: \(error)")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(FileStoreError) -> T {
        do { return try pool.read(body) } catch {
            throw FileStoreError(.storage, "files store read failed: \(error)")
        }
    }
}
