import Metrics

/// A protected resource's Prometheus metrics (through swift-metrics; whoever bootstraps a metrics
/// backend, like `keybound serve`, exports them).
struct ResourceMetrics: Sendable {
    /// `keybound_<resource>_audit_dropped_total`: records of refused, unverified requests not
    /// written because their client address (or all addresses together) went over the rate limit.
    let auditDropped: Counter

    /// The metrics of the resource whose metric prefix is `name` (`mail` → `keybound_mail_…`).
    init(name: String) {
        auditDropped = Counter(label: "keybound_\(name)_audit_dropped_total")
    }
}
