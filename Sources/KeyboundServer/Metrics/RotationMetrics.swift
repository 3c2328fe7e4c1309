import Foundation
import KeyboundStore
import Metrics
import Synchronization

/// The rotation engine's gauges, set after every tick from the key status report:
///
/// | Gauge | Value |
/// |---|---|
/// | `keybound_rotation_leader` | 1 while this node runs the rotation engine, else 0 |
/// | `keybound_key_age_seconds{issuer,kid,state}` | seconds since the key was created, for every pending, active and verify-only key |
/// | `keybound_rotation_overdue{issuer}` | 1 while the issuer has a problem a rotation should have solved (``KeyboundStore/KeyStatusReport``: an overdue rotation, activation or retirement, a key past its maximum age, no active key), else 0 |
///
/// Series of keys that left those states are removed, so retired and revoked keys do not pile up.
enum RotationMetrics {
    static let leaderName = "keybound_rotation_leader"
    static let keyAgeName = "keybound_key_age_seconds"
    static let overdueName = "keybound_rotation_overdue"
    static let exportedStates: Set<KeyState> = [.pending, .active, .verifyOnly]

    private struct Series: Hashable {
        let name: String
        let dimensions: [String]
    }

    private static let gauges = Mutex<[Series: Gauge]>([:])

    /// Sets every gauge from `report`; removes the key-age series of keys no longer exported.
    static func update(_ report: KeyStatusReport, leader: Bool) {
        var wanted: [Series: Double] = [Series(name: leaderName, dimensions: []): leader ? 1 : 0]
        for status in report.issuers {
            let issuer = status.issuer.id
            wanted[Series(name: overdueName, dimensions: ["issuer", issuer])] = report.issuersWithProblems.contains(issuer) ? 1 : 0
            for key in status.keys where exportedStates.contains(key.state) {
                wanted[Series(name: keyAgeName, dimensions: ["issuer", issuer, "kid", key.keyID, "state", key.state.rawValue])] =
                    max(0, report.now.timeIntervalSince(key.createdAt))
            }
        }
        gauges.withLock { gauges in
            for (series, gauge) in gauges where wanted[series] == nil && series.name == keyAgeName {
                gauge.destroy()
                gauges[series] = nil
            }
            for (series, value) in wanted { record(value, series, in: &gauges) }
        }
    }

    /// Says this node no longer runs the engine.
    static func stepDown() {
        gauges.withLock { gauges in record(0, Series(name: leaderName, dimensions: []), in: &gauges) }
    }

    /// Sets `series` to `value`, making its gauge on first use.
    private static func record(_ value: Double, _ series: Series, in gauges: inout [Series: Gauge]) {
        let gauge = gauges[series] ?? Gauge(label: series.name, dimensions: pairs(series.dimensions), factory: KeyboundMetrics.factory)
        gauges[series] = gauge
        gauge.record(value)
    }

    private static func pairs(_ flat: [String]) -> [(String, String)] {
        stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) }
    }
}
