import Foundation
import Keybound

/// One file of a drive. A drive is a user's, as (issuer, tenant id, subject): a file is found by
/// that owner and its name, by exact bytes, so no token of another issuer or tenant reaches it.
public struct DriveFile: Sendable, Equatable {
    /// The owner's issuer URL.
    public let issuer: String
    /// The owner's tenant id (`tid`) at that issuer.
    public let tenantID: String
    /// The owner's `sub`.
    public let owner: String
    /// The file's name (1…255 bytes, no control characters).
    public let name: String
    /// The media type it was written with.
    public let contentType: String
    /// The content.
    public let content: [UInt8]
    /// When it was last written (to the millisecond).
    public let modifiedAt: Date

    /// A file.
    public init(issuer: String, tenantID: String, owner: String, name: String, contentType: String, content: [UInt8], modifiedAt: Date) {
        self.issuer = issuer
        self.tenantID = tenantID
        self.owner = owner
        self.name = name
        self.contentType = contentType
        self.content = content
        self.modifiedAt = Date(timeIntervalSince1970: (modifiedAt.timeIntervalSince1970 * 1_000).rounded(.down) / 1_000)
    }

    /// Whether `name` may name a file: 1…255 UTF-8 bytes, no control characters.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    var modifiedAtMilliseconds: Int64 { Int64((modifiedAt.timeIntervalSince1970 * 1_000).rounded()) }
}

/// A failure of the files store.
public typealias FileStoreError = CodedError<FileStoreErrorCode>

/// What went wrong in the files store.
public enum FileStoreErrorCode: String, ErrorCode, CaseIterable {
    /// The database could not be read or written.
    case storage = "files_storage_error"
    /// The drive holds the most files it may; nothing was written.
    case driveFull = "drive_full"
}

/// A file as a drive's listing shows it: no content.
public struct DriveEntry: Sendable, Equatable {
    /// The file's name.
    public let name: String
    /// Its media type.
    public let contentType: String
    /// Its size in bytes.
    public let size: Int
    /// When it was last written.
    public let modifiedAt: Date
}

/// A drive's owner: (issuer, tenant id, subject). The stores find it by exact bytes (SQLite's
/// binary comparison, PostgreSQL's `COLLATE "C"`); this value's own `==` is Swift's string equality.
public struct DriveOwner: Sendable, Hashable {
    /// The issuer URL.
    public let issuer: String
    /// The tenant id at that issuer.
    public let tenantID: String
    /// The user's `sub`.
    public let subject: String

    /// An owner.
    public init(issuer: String, tenantID: String, subject: String) {
        self.issuer = issuer
        self.tenantID = tenantID
        self.subject = subject
    }
}
