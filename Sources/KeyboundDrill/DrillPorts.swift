import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free loopback ports. The provider's port must be known before it starts, because its issuer
/// URLs (the `iss` of its tokens, which the mail edge fetches keys from) contain it.
enum DrillPorts {
    /// `count` distinct ports the kernel just handed out for 127.0.0.1 (each bound to port 0, read, closed).
    static func free(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts < 100 else { throw StormDrillError("no free loopback port") }
            let port = try one()
            if !ports.contains(port) { ports.append(port) }
        }
        return ports
    }

    private static func one() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw StormDrillError("cannot open a socket (errno \(errno))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw StormDrillError("cannot bind a loopback port (errno \(errno))") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw StormDrillError("cannot read the bound port (errno \(errno))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
