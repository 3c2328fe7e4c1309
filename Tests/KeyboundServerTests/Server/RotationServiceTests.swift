import Foundation
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
@testable import KeyboundStore
import Logging
import Synchronization
import Testing

/// The rotation engine never stops silently: gauges after every tick, and a `rotation_overdue`
/// alert when an issuer turns unhealthy (here: its store stops taking writes).
@Suite("Server: rotation gauges and the overdue alert", .serialized)
struct RotationServiceTests {
    /// A key store whose writes fail while ``failing`` is set (a full disk, a lost database).
    final class FailingKeyStore: KeyStore {
        let inner: SQLiteKeyStore
        let failing = Atomic<Bool>(false)
        init(_ inner: SQLiteKeyStore) { self.inner = inner }
        func read<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T { try await inner.read(body) }
        func write<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
            if failing.load(ordering: .relaxed) { throw StoreError(.storage, "disk full (test)") }
            return try await inner.write(body)
        }
        var localWriteCount: Int { inner.localWriteCount }
        var commits: StoreObservers<Void> { inner.commits }
    }

    /// The value of one series in the Prometheus text, or `nil`.
    static func gauge(_ name: String, _ labels: String) -> Double? {
        let prefix = labels.isEmpty ? "\(name) " : "\(name){\(labels)} "
        return KeyboundMetrics.render().split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    @Test("a healthy tick sets the gauges; a stalled rotation raises one alert per issuer until it recovers")
    func overdue() async throws {
        let fixture = try await StoreFixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let store = FailingKeyStore(try SQLiteKeyStore(directory: fixture.directory))
        let manager = try await KeyManager(store: store, kek: fixture.kek)
        let issuerID = "rot-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await manager.createIssuer(StoreIssuers.consumer(issuerID))
        let clock = Mutex(StoreClock.origin)
        let alerts = AlertCenter(repeatWindow: 0, now: { clock.withLock { $0 } })
        let service = RotationService(manager: manager, interval: .seconds(60), logger: Logger(label: "test.rotation"),
                                      alerts: alerts, now: { clock.withLock { $0 } })

        var unhealthy = await service.tickOnce(previouslyUnhealthy: [])
        #expect(unhealthy.isEmpty)
        #expect(Self.gauge(RotationMetrics.leaderName, "") == 1)
        #expect(Self.gauge(RotationMetrics.overdueName, "issuer=\"\(issuerID)\"") == 0)
        let active = try await manager.activeKey(issuerID)
        #expect(Self.gauge(RotationMetrics.keyAgeName, "issuer=\"\(issuerID)\",kid=\"\(active.keyID)\",state=\"active\"") == 0)
        #expect(alerts.alerts().isEmpty)

        // The store stops taking writes and the rotation period passes: the tick fails, the keys
        // are judged anyway, and the issuer is reported once.
        store.failing.store(true, ordering: .relaxed)
        clock.withLock { $0 = $0.addingTimeInterval(StoreIssuers.rotationPeriod + 2 * StoreClock.hour) }
        unhealthy = await service.tickOnce(previouslyUnhealthy: unhealthy)
        #expect(unhealthy == [issuerID])
        #expect(Self.gauge(RotationMetrics.overdueName, "issuer=\"\(issuerID)\"") == 1)
        let raised = alerts.alerts()
        #expect(raised.count == 1 && raised.first?.code == "rotation_overdue" && raised.first?.tokenIssuer == issuerID)
        #expect(raised.first?.summary.contains("rotation overdue") == true, "\(raised.first?.summary ?? "")")
        unhealthy = await service.tickOnce(previouslyUnhealthy: unhealthy)
        #expect(alerts.alerts().count == 1, "still overdue: no second alert")

        // Writes come back: the engine publishes the next key and, once the lead time has passed,
        // activates it; the issuer is healthy again and the old key's series moves on.
        store.failing.store(false, ordering: .relaxed)
        unhealthy = await service.tickOnce(previouslyUnhealthy: unhealthy)
        clock.withLock { $0 = $0.addingTimeInterval(StoreIssuers.publishLeadTime + StoreClock.hour) }
        unhealthy = await service.tickOnce(previouslyUnhealthy: unhealthy)
        #expect(unhealthy.isEmpty)
        #expect(alerts.alerts().count == 1)
        #expect(Self.gauge(RotationMetrics.overdueName, "issuer=\"\(issuerID)\"") == 0)
        #expect(Self.gauge(RotationMetrics.keyAgeName, "issuer=\"\(issuerID)\",kid=\"\(active.keyID)\",state=\"active\"") == nil)
        let next = try await manager.activeKey(issuerID)
        #expect(next.keyID != active.keyID)
        #expect(Self.gauge(RotationMetrics.keyAgeName, "issuer=\"\(issuerID)\",kid=\"\(next.keyID)\",state=\"active\"") != nil)
    }
}
