import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A Hummingbird server on a loopback port the kernel picks (port 0), for transport tests: started
/// by ``start(_:)`` once it listens, stopped by ``stop()``.
package struct LoopbackServer {
    /// `http://127.0.0.1:<port>`.
    package let base: String
    private let server: GracefulServer

    /// Starts `router` and returns once the server listens (throws if it did not within 10 s).
    package static func start(_ router: Router<BasicRequestContext>) async throws -> LoopbackServer {
        let port = Mutex<Int?>(nil)
        var quiet = Logger(label: "loopback-server")
        quiet.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: quiet)
        let server = GracefulServer(app)
        for _ in 0..<500 {
            if let port = port.withLock({ $0 }) { return LoopbackServer(base: "http://127.0.0.1:\(port)", server: server) }
            try await Task.sleep(for: .milliseconds(20))
        }
        server.cancel()
        throw CancellationError()
    }

    /// Stops the server and waits until it has.
    package func stop() async {
        server.cancel()
        _ = await server.result
    }
}
