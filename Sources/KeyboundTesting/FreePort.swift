import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback ports for the servers tests start.
package enum FreePort {
    /// No free port was found in 100 tries.
    package struct Exhausted: Error {}

    /// Ports handed out by ``next()`` in this process.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A loopback port that is free now and that no other test of this process was given: the
    /// kernel may hand a port it just reported free to the next `bind(0)`, and two tests that start
    /// servers on the same port would talk to one server (the second bind fails quietly in a task).
    package static func next() throws -> Int {
        for _ in 0..<100 {
            guard let port = unusedPort() else { continue }
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw Exhausted()
    }

    /// A loopback port the kernel says is free right now.
    private static func unusedPort() -> Int? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { return nil }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
