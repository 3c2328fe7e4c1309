import Foundation
import KeyboundLoopback
import Synchronization

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
            guard case .success(let port) = LoopbackPort.unused() else { continue }
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw Exhausted()
    }
}
