import Metrics

/// Keybound Mail's Prometheus metrics (through swift-metrics; whoever bootstraps a metrics
/// backend, like `keybound serve`, exports them).
enum MailMetrics {
    /// `keybound_mail_audit_dropped_total`: records of refused, unverified requests not written
    /// because their client address (or all addresses together) went over the rate limit.
    static let auditDropped = Counter(label: "keybound_mail_audit_dropped_total")

    static func auditRecordDropped() { auditDropped.increment() }
}
