import Foundation

/// Reads a small regular file whole, refusing anything larger than a limit without reading it all,
/// and anything but a regular file without waiting on it (a FIFO is opened non-blocking and then
/// refused). The checks are made on the open descriptor, so the file cannot be swapped between
/// the check and the read.
package enum BoundedFileReader {
    /// Why a file was not read.
    package enum Failure: Error {
        /// The file cannot be opened or read; the text is the system's reason.
        case unreadable(String)
        /// A directory, device, FIFO or socket.
        case notRegularFile
        /// More than the limit.
        case tooLarge
    }

    /// Why a secret file (``ownerOnlyContents(ofFile:limit:)``) was not read.
    package enum SecretFailure: Error {
        /// No file at that path; the text is the system's reason.
        case missing(String)
        /// Its group or others may read or write it; the file's permission bits.
        case readableByOthers(mode: mode_t)
        /// The file cannot be opened or read; the text is the system's reason.
        case unreadable(String)
        /// A directory, device, FIFO or socket.
        case notRegularFile
        /// More than the limit.
        case tooLarge
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    package static func contents(ofFile path: String, limit: Int) throws(Failure) -> [UInt8] {
        do {
            return try read(path, limit: limit, ownerOnly: false)
        } catch {
            switch error {
            case .missing(let reason), .unreadable(let reason): throw .unreadable(reason)
            case .notRegularFile: throw .notRegularFile
            case .tooLarge: throw .tooLarge
            case .readableByOthers(let mode): throw .unreadable("mode \(String(mode, radix: 8))")  // only checked for secrets
            }
        }
    }

    /// The bytes of the secret file at `path` (a password, a PIN, a key), at most `limit` of them,
    /// refused unless only its owner may read or write it (mode 0600 or 0400). The bytes are in
    /// the one buffer they were read into (the caller wipes it); a file refused as too large is
    /// wiped before the refusal.
    package static func ownerOnlyContents(ofFile path: String, limit: Int) throws(SecretFailure) -> [UInt8] {
        try read(path, limit: limit, ownerOnly: true)
    }

    private static func read(_ path: String, limit: Int, ownerOnly: Bool) throws(SecretFailure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw errno == ENOENT ? .missing(reason) : .unreadable(reason)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile }
        if ownerOnly, status.st_mode & 0o077 != 0 { throw .readableByOthers(mode: status.st_mode & 0o777) }
        guard status.st_size <= limit else { throw .tooLarge }
        // The size can change between fstat and read: read at most one byte past the limit to notice.
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < bytes.count {
            let result = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if result == 0 { break }
            count += result
        }
        guard count <= limit else {
            bytes.withUnsafeMutableBytes { LockedBytes.wipe($0) }
            throw .tooLarge
        }
        // Trimmed in place, not copied: the one buffer that held the file is the caller's to wipe.
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
