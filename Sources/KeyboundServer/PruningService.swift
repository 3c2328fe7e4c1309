import Foundation
import KeyboundStore
import Logging
import ServiceLifecycle

/// Runs `GrantStore/prune(now:margin:)` periodically until graceful shutdown:
/// expired authorization codes, expired client-assertion ids and dead refresh chains.
public struct PruningService: Service {
    let store: any ProviderStore
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    /// A service pruning `store` every `interval`, as of `now()`.
    public init(store: any ProviderStore, interval: Duration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    /// One pass; logs what it deleted. Returns the report, or `nil` when the store failed (logged).
    @discardableResult
    public func pruneOnce() async -> PruneReport? {
        do {
            let report = try await store.prune(now: now())
            if report.total > 0 {
                logger.info("pruned", metadata: [
                    "authorization_codes": "\(report.authorizationCodes)", "client_assertions": "\(report.clientAssertions)",
                    "refresh_tokens": "\(report.refreshTokens)",
                ])
            }
            return report
        } catch {
            logger.error("pruning failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await pruneOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
