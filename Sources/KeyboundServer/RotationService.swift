import Foundation
import KeyboundStore
import Logging
import ServiceLifecycle

/// Runs the rotation engine periodically until graceful shutdown.
public struct RotationService: Service {
    let manager: KeyManager
    let interval: Duration
    let logger: Logger
    let onChange: @Sendable () -> Void

    /// A service ticking `manager` every `interval`; `onChange` runs after a tick that changed a key.
    public init(manager: KeyManager, interval: Duration, logger: Logger, onChange: @escaping @Sendable () -> Void = {}) {
        self.manager = manager
        self.interval = interval
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let applied = try manager.tick(now: Date())
                for transition in applied { logger.notice("key transition", metadata: ["transition": "\(transition)"]) }
                if !applied.isEmpty { onChange() }
            } catch {
                logger.error("rotation tick failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
