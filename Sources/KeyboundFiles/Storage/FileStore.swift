import Foundation
import Keybound
package import KeyboundPostgres

/// Keybound Files' drives: `files.sqlite` in a data directory (the embedded default), or
/// PostgreSQL shared by every node. Storage knows rows, not rules: the routes decide whose drive a
/// token reaches; the store finds rows by their exact (issuer, tenant id, owner, name).
public final class FileStore: Sendable {
    /// The database file name inside a data directory.
    public static let fileName = "files.sqlite"

    let storage: any FileStorage

    /// Where the store lives: the database file, or the PostgreSQL database (never its password).
    public var location: String { storage.location }

    init(storage: any FileStorage) {
        self.storage = storage
    }

    /// Opens (creating if needed) the files store in `directory`.
    public convenience init(directory: URL) throws(FileStoreError) {
        self.init(storage: try SQLiteFileStorage(directory: directory))
    }

    /// Opens the files store kept in `database` (PostgreSQL), whose schema the key store migrated.
    package static func open(database: PostgresBackend) async throws(FileStoreError) -> FileStore {
        try await PostgresFileStorage.checkSchema(database)
        return FileStore(storage: PostgresFileStorage(database: database))
    }

    /// The files of `owner`'s drive, by name.
    public func files(of owner: DriveOwner) async throws(FileStoreError) -> [DriveEntry] {
        try await storage.files(of: owner)
    }

    /// The file `name` of `owner`'s drive, if any.
    public func file(_ name: String, of owner: DriveOwner) async throws(FileStoreError) -> DriveFile? {
        try await storage.file(name, of: owner)
    }

    /// Writes `file` (a new one, or in place of the one with its name); returns whether it is
    /// new. A drive holding `maximumFiles` files takes no new one (`drive_full`).
    public func write(_ file: DriveFile, maximumFiles: Int) async throws(FileStoreError) -> Bool {
        try await storage.write(file, maximumFiles: maximumFiles)
    }
}

/// Where Keybound Files keeps its rows. Each write is one transaction, serialised per drive, so
/// the file count holds across nodes.
package protocol FileStorage: Sendable {
    /// Where the store lives, with no secret.
    var location: String { get }
    /// The files of `owner`'s drive, by name (exact bytes).
    func files(of owner: DriveOwner) async throws(FileStoreError) -> [DriveEntry]
    /// The file `name` of `owner`'s drive.
    func file(_ name: String, of owner: DriveOwner) async throws(FileStoreError) -> DriveFile?
    /// Inserts or replaces `file`; whether it was new. Throws `driveFull` for a new file in a full drive.
    func write(_ file: DriveFile, maximumFiles: Int) async throws(FileStoreError) -> Bool
}

extension DriveFile {
    /// The drive the file is in.
    public var drive: DriveOwner { DriveOwner(issuer: issuer, tenantID: tenantID, subject: owner) }
}
