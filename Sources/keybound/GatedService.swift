import ServiceLifecycle

/// A service that runs `service` only after `gate` has returned (for example: open a listener
/// once the streams it depends on are live). A graceful shutdown during the wait ends the wait,
/// and then `service` never starts.
struct GatedService<Wrapped: Service>: Service {
    let service: Wrapped
    let gate: @Sendable () async -> Void

    init(_ service: Wrapped, gate: @escaping @Sendable () async -> Void) {
        self.service = service
        self.gate = gate
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await gate() }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        try await service.run()
    }
}
