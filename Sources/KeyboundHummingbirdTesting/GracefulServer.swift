import Logging
import ServiceLifecycle

/// A test server run as `keybound serve` runs its application: in a ServiceGroup, stopped by a
/// graceful shutdown. Cancelling a serving task instead can trap in NIO ("Deinited NIOAsyncWriter
/// without calling finish()") when a connection was accepted but not yet handed to the server
/// (swift-nio#2637) — which a client that reconnects at the wrong moment makes happen.
package final class GracefulServer: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    /// How long a graceful shutdown may take before the serving task is cancelled after all (a
    /// test's fake server may hold a response open that nothing else ends).
    package let shutdownLimit: Duration

    /// Starts serving `service` (an `Application`) at once.
    package init(_ service: some Service, shutdownLimit: Duration = .seconds(3)) {
        var quiet = Logger(label: "graceful-test-server")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [], logger: quiet))
        self.group = group
        self.task = Task { try await group.run() }
        self.shutdownLimit = shutdownLimit
    }

    /// Begins the graceful shutdown and returns at once (for `defer`).
    package func cancel() {
        let group = self.group
        Task { await group.triggerGracefulShutdown() }
    }

    /// Begins the graceful shutdown (if not begun) and waits until the server has ended, at most
    /// `limit`; returns whether it ended by itself (if not, the serving task is cancelled).
    package func stop(within limit: Duration) async -> Bool {
        await group.triggerGracefulShutdown()
        let task = self.task
        return await withTaskGroup(of: Bool.self) { waiting in
            waiting.addTask { _ = await task.result; return true }
            waiting.addTask { try? await Task.sleep(for: limit); return false }
            let ended = await waiting.next() ?? false
            if !ended { task.cancel() }
            waiting.cancelAll()
            return ended
        }
    }

    /// Stops the server as ``stop(within:)`` does with ``shutdownLimit``, and answers how it ended.
    package var result: Result<Void, any Error> {
        get async {
            _ = await stop(within: shutdownLimit)
            return await task.result
        }
    }
}
