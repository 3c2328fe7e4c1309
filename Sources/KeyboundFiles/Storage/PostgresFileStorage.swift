import Foundation
internal import KeyboundPostgres
import Logging
internal import PostgresNIO

/// Keybound Files' rows on PostgreSQL, shared by every node: the table of schema version 9
/// (`drive_file`), which the key store's migrator creates. A write takes its drive's transaction
/// advisory lock, so two nodes never push a drive past its file limit.
final class PostgresFileStorage: FileStorage {
    /// The class of the drive locks' two-key advisory lock space ("KB" 0x0900).
    static let lockClass: Int32 = 0x4B42_0900

    let database: PostgresBackend
    var location: String { database.settings.description }

    init(database: PostgresBackend) {
        self.database = database
    }

    /// Refuses a database whose schema has no files table.
    static func checkSchema(_ database: PostgresBackend) async throws(FileStoreError) {
        try await database.requireTable("drive_file", of: "files", version: 9) { FileStoreError(.storage, $0) }
    }

    func files(of owner: DriveOwner) async throws(FileStoreError) -> [DriveEntry] {
        let logger = database.logger
        return try await Self.call {
            try await database.withConnection { connection in
                try await connection.query("""
                    SELECT name, content_type, octet_length(content) AS size, modified_at_ms FROM drive_file
                    WHERE issuer = \(owner.issuer) AND tenant_id = \(owner.tenantID) AND owner = \(owner.subject) ORDER BY name
                    """, logger: logger).collect().map { row in
                    let row = row.makeRandomAccess()
                    return DriveEntry(name: try row["name"].decode(String.self), contentType: try row["content_type"].decode(String.self),
                                      size: Int(try row["size"].decode(Int32.self)),
                                      modifiedAt: Date(timeIntervalSince1970: Double(try row["modified_at_ms"].decode(Int64.self)) / 1_000))
                }
            }
        }
    }

    func file(_ name: String, of owner: DriveOwner) async throws(FileStoreError) -> DriveFile? {
        let logger = database.logger
        return try await Self.call {
            try await database.withConnection { connection in
                try await connection.query("""
                    SELECT content_type, content, modified_at_ms FROM drive_file
                    WHERE issuer = \(owner.issuer) AND tenant_id = \(owner.tenantID) AND owner = \(owner.subject) AND name = \(name)
                    """, logger: logger).collect().first.map { row in
                    let row = row.makeRandomAccess()
                    return DriveFile(issuer: owner.issuer, tenantID: owner.tenantID, owner: owner.subject, name: name,
                                     contentType: try row["content_type"].decode(String.self), content: Array(try row["content"].decode(ByteBuffer.self).readableBytesView),
                                     modifiedAt: Date(timeIntervalSince1970: Double(try row["modified_at_ms"].decode(Int64.self)) / 1_000))
                }
            }
        }
    }

    func write(_ file: DriveFile, maximumFiles: Int) async throws(FileStoreError) -> Bool {
        let logger = database.logger
        let owner = file.drive
        return try await Self.call {
            try await database.withTransaction { connection in
                // One lock per drive, in the two-key lock space of class "KB" 0x0900 so it never
                // meets another store's lock (PostgreSQL text holds no NUL, so the parts are joined
                // by U+001F; a collision of the hash only makes two drives share a lock).
                let drive = [owner.issuer, owner.tenantID, owner.subject].joined(separator: "\u{1F}")
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockClass), hashtext(\(drive)))", logger: logger)
                let exists = try await connection.query("""
                    SELECT 1 FROM drive_file WHERE issuer = \(owner.issuer) AND tenant_id = \(owner.tenantID) AND owner = \(owner.subject) AND name = \(file.name)
                    """, logger: logger).collect().isEmpty == false
                if !exists {
                    let count = try await connection.query("""
                        SELECT count(*) FROM drive_file WHERE issuer = \(owner.issuer) AND tenant_id = \(owner.tenantID) AND owner = \(owner.subject)
                        """, logger: logger).collect().first?.decode(Int64.self) ?? 0
                    guard count < maximumFiles else { throw FileStoreError(.driveFull, "the drive holds \(count) files, the most it may") }
                }
                try await connection.query("""
                    INSERT INTO drive_file (issuer, tenant_id, owner, name, content_type, content, modified_at_ms)
                    VALUES (\(owner.issuer), \(owner.tenantID), \(owner.subject), \(file.name), \(file.contentType), \(ByteBuffer(bytes: file.content)),
                            \(file.modifiedAtMilliseconds))
                    ON CONFLICT (issuer, tenant_id, owner, name) DO UPDATE SET
                        content_type = excluded.content_type, content = excluded.content, modified_at_ms = excluded.modified_at_ms
                    """, logger: logger)
                return !exists
            }
        }
    }

    /// Runs `body`, turning a database error into a ``FileStoreError`` that names no secret.
    private static func call<T>(_ body: () async throws -> T) async throws(FileStoreError) -> T {
        try await PostgresBackend.storeCall("files store", { FileStoreError(.storage, $0) }, body)
    }
}
