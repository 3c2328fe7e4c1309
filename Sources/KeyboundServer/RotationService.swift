import Foundation
import KeyboundStore
import Logging
import ServiceLifecycle

/// Runs the rotation engine periodically until graceful shutdown.
public struct RotationService: Service {
    let manager: KeyManager
    let interval: Duration
    let logger: Logger

    /// A service ticking `manager` every `interval`.
    public init(manager: KeyManager, interval: Duration, logger: Logger) {
        self.manager = manager
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let applied = try manager.tick(now: Date())
                for transition in applied { logger.notice("key transition", metadata: ["transition": "\(transition)"]) }
            } catch {
                logger.error("rotation tick failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
