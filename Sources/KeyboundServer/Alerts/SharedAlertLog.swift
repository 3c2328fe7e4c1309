import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore
import Logging
import ServiceLifecycle
import Synchronization

/// Copies this node's security alerts into the store's recent-alerts log (``KeyboundStore/AlertLogStore``)
/// when the store is shared by several nodes, so that `/admin/alerts` on any node lists the alerts
/// of all of them.
///
/// An alert is raised inside the request that caused it, which must not wait for the database: it
/// is queued (the newest ``keep`` at most; older ones are dropped and counted) and written by
/// ``run(logger:)``. While the database is down, the writer retries each alert for up to
/// ``retryLimit`` and then drops it; the alert's `critical` log line and the webhook are not
/// affected.
final class SharedAlertLog: Sendable {
    /// How many alerts the log keeps (and the queue holds).
    static let keep = 1_000
    /// How long one alert is retried while the database cannot take it.
    static let retryLimit: Duration = .seconds(60)
    let store: any AlertLogStore
    /// This node's name in the log.
    let node: String
    private let queue: AsyncStream<AlertRecord>
    private let input: AsyncStream<AlertRecord>.Continuation
    private let droppedCount = Atomic<Int>(0)

    /// A log of `store` fed by every alert `alerts` raises from now on.
    init(store: any AlertLogStore, node: String, alerts: AlertCenter) {
        self.store = store
        self.node = node
        (queue, input) = AsyncStream.makeStream(of: AlertRecord.self, bufferingPolicy: .bufferingNewest(Self.keep))
        alerts.observe { [weak self] alert in self?.enqueue(alert) }
    }

    private func enqueue(_ alert: SecurityAlert) {
        let record = AlertRecord(node: node, raisedAt: alert.time, code: alert.code, issuer: alert.tokenIssuer,
                                 body: JSONWriter().string(.object(alert.jsonObject)))
        if case .dropped = input.yield(record) { droppedCount.add(1, ordering: .relaxed) }
    }

    /// Alerts that never reached the log (the queue overflowed, or the database stayed down).
    var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Writes queued alerts, one at a time, until the calling task is cancelled.
    func run(logger: Logger) async {
        for await record in queue {
            let giveUp = ContinuousClock.now + Self.retryLimit
            while true {
                do {
                    try await store.appendAlert(record, keep: Self.keep)
                    break
                } catch {
                    guard ContinuousClock.now < giveUp, !Task.isCancelled else {
                        droppedCount.add(1, ordering: .relaxed)
                        logger.warning("an alert could not be written to the shared alert log", metadata: [
                            "alert": "\(record.code)", "error": "\(error.message)"])
                        break
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// The alerts after `sequence` (the log's numbering), oldest first, as the admin API shows
    /// them: each node's alert with `sequence` the log's number, `node` the node that raised it
    /// and `node_sequence` its number on that node.
    func list(after sequence: Int64, limit: Int = keep) async throws(StoreError) -> [JSONObject] {
        try await store.alerts(after: sequence, limit: limit).map { stored in
            var object = (try? StrictJSONParser.parseObject(Array(stored.record.body.utf8))) ?? JSONObject([
                "code": .string(stored.record.code), "summary": .string("(the stored alert could not be read)")])
            object["node_sequence"] = object["sequence"]
            object["sequence"] = .number(Double(stored.sequence))
            object["node"] = .string(stored.record.node)
            return object
        }
    }
}

/// Runs a ``SharedAlertLog``'s writer until graceful shutdown.
struct SharedAlertLogService: Service {
    let log: SharedAlertLog
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await log.run(logger: logger) }
    }
}
