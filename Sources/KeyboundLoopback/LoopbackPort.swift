#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback ports the kernel reports free: for servers whose port must be known before they start
/// (the drill's provider, whose issuer URLs contain it; the tests' servers).
package enum LoopbackPort {
    /// A port of 127.0.0.1 the kernel just handed out (a socket bound to port 0, read, closed), or
    /// the `errno` of the call that failed. Free now; another process may take it before it is used.
    package static func unused() -> Result<Int, LoopbackPortError> {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .failure(LoopbackPortError(call: "socket", errno: errno)) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { return .failure(LoopbackPortError(call: "bind", errno: errno)) }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { return .failure(LoopbackPortError(call: "getsockname", errno: errno)) }
        return .success(Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// A system call that failed while looking for a free loopback port.
package struct LoopbackPortError: Error, CustomStringConvertible {
    /// The call (`socket`, `bind`, `getsockname`).
    package let call: String
    /// Its `errno`.
    package let errno: Int32

    package var description: String { "\(call) failed on a loopback socket (errno \(errno))" }
}
