import ServiceLifecycle

/// A service that runs `service` only after `gate` has returned (for example: open a listener
/// once the streams it depends on are live).
struct GatedService<Wrapped: Service>: Service {
    let service: Wrapped
    let gate: @Sendable () async -> Void

    init(_ service: Wrapped, gate: @escaping @Sendable () async -> Void) {
        self.service = service
        self.gate = gate
    }

    func run() async throws {
        await gate()
        try await service.run()
    }
}
