import Foundation

/// Reads a small regular file whole, refusing anything larger than a limit without reading it all.
enum BoundedFileReader {
    enum Failure: Error {
        /// The file cannot be opened or read; the text is the system's reason.
        case unreadable(String)
        /// A directory, device, FIFO or socket.
        case notRegularFile
        /// More than the limit.
        case tooLarge
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    static func contents(ofFile path: String, limit: Int) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile }
        guard status.st_size <= limit else { throw .tooLarge }
        // The size can change between fstat and read: read at most one byte past the limit to notice.
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < bytes.count {
            let result = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if result == 0 { break }
            count += result
        }
        guard count <= limit else { throw .tooLarge }
        return Array(bytes[..<count])
    }
}
