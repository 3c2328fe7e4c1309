import Foundation

/// Creates files that hold secrets (private keys, the development KEK): owner-only (0600) from
/// the first byte, never over an existing file, never inherited by a child process, flushed to
/// disk before it returns, and removed again if it could not be written whole.
package enum OwnerOnlyFile {
    /// Why a secret file was not created.
    package enum Failure: Error, Equatable {
        /// The file exists (it is never overwritten) or cannot be created; the text is the system's reason.
        case cannotCreate(String)
        /// The file was created but not written and flushed whole; it has been removed.
        case cannotWrite(String)
    }

    /// Creates `path` with `contents`, mode 0600 (the umask can only take bits away), and flushes it.
    package static func create(_ contents: [UInt8], atPath path: String) throws(Failure) {
        // O_CLOEXEC: a process started by another thread while the file is open cannot keep it.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotCreate(String(cString: strerror(errno))) }
        var failure: String?
        contents.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else {
                    failure = written < 0 ? String(cString: strerror(errno)) : "nothing written"
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if let failure {
            unlink(path)
            throw .cannotWrite(failure)
        }
    }
}
