import Foundation

/// Which node runs the rotation engine. On one node (SQLite) it is always this one; on PostgreSQL
/// it is the holder of a lease that the holder renews at every tick (a heartbeat), and that any
/// other node takes over once it lapses: a hung holder cannot stop rotation for longer than the
/// lease.
public protocol RotationLeadership: Sendable {
    /// Claims or renews the leadership for `node`, for `lease` seconds; `true` when `node` leads.
    func claim(node: String, lease: TimeInterval) async throws(StoreError) -> Bool
    /// Gives the leadership up if `node` holds it (a graceful shutdown), so another node need not
    /// wait for the lease to lapse.
    func resign(node: String) async
}

/// One node, always the leader (the embedded SQLite store: one serving process).
public struct SingleNodeLeadership: RotationLeadership {
    /// The leadership of a lone node.
    public init() {}

    public func claim(node: String, lease: TimeInterval) async throws(StoreError) -> Bool { true }
    public func resign(node: String) async {}
}
