#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Secret bytes in memory of their own: whole pages mapped for them alone, locked into RAM
/// (`mlock`, so they are never written to swap), left out of core dumps (`MADV_DONTDUMP` on
/// Linux), and zeroed before the pages are unmapped.
///
/// Keybound keeps its own copies of secrets here (the key-encryption key first). ``isLocked`` is
/// false when the kernel refused the lock (`RLIMIT_MEMLOCK`, no `CAP_IPC_LOCK`): the bytes still
/// work and are still left out of dumps, and production mode refuses to start.
package final class LockedBytes: @unchecked Sendable {
    /// How many bytes it holds.
    package let count: Int
    /// Whether `mlock` succeeded.
    package let isLocked: Bool
    /// Why the lock failed (`strerror` of `mlock`'s errno), when it did.
    package let lockFailure: String?
    private let base: UnsafeMutableRawPointer
    private let mappedLength: Int

    /// Zeroed secret memory for `count` bytes (at least one page is mapped).
    package init(count: Int) {
        precondition(count >= 0, "a negative size")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = max(page, (count + page - 1) / page * page)
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            fatalError("mmap of \(length) bytes for secret memory failed: \(String(cString: strerror(errno)))")
        }
        #if os(Linux)
        _ = madvise(mapped, length, MADV_DONTDUMP)
        #endif
        if mlock(mapped, length) == 0 {
            isLocked = true
            lockFailure = nil
        } else {
            isLocked = false
            lockFailure = String(cString: strerror(errno))
        }
        self.base = mapped
        self.mappedLength = length
        self.count = count
    }

    /// Secret memory holding a copy of `bytes`. The caller still owns, and should wipe, `bytes`.
    package convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count)
        if let source = bytes.baseAddress, !bytes.isEmpty { base.copyMemory(from: source, byteCount: bytes.count) }
    }

    deinit {
        Self.wipe(UnsafeMutableRawBufferPointer(start: base, count: mappedLength))
        if isLocked { _ = munlock(base, mappedLength) }
        _ = munmap(base, mappedLength)
    }

    /// Reads the bytes.
    package func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Writes the bytes.
    package func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// The address of the first byte, for tests that find the mapping in `/proc/self/smaps`.
    package var address: UInt { UInt(bitPattern: base) }

    /// Zeroes `buffer` in a way the optimizer keeps (`explicit_bzero` on Linux).
    package static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let start = buffer.baseAddress, !buffer.isEmpty else { return }
        #if os(Linux)
        explicit_bzero(start, buffer.count)
        #else
        memset_s(start, buffer.count, 0, buffer.count)
        #endif
    }
}
