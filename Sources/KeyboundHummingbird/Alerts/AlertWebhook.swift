import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Keybound
import Logging
import Synchronization

/// Delivers alerts to an HTTP endpoint: one `POST` of the alert's JSON per alert, in order, off the
/// request path. A failed delivery (no 2xx) is retried 3 times with 0.5 s, 1 s and 2 s pauses,
/// then logged and dropped; at most ``maximumQueued`` alerts wait (the oldest is dropped beyond).
public final class AlertWebhook: Sendable {
    /// The endpoint.
    public let url: URL
    /// The most alerts waiting for delivery.
    public let maximumQueued: Int
    private let logger: Logger
    private let session: URLSession
    private let queue: Mutex<(pending: [SecurityAlert], sending: Bool)> = Mutex(([], false))

    /// A webhook posting to `url` (http or https). Throws for any other URL.
    public init(url: URL, maximumQueued: Int = 1_000, logger: Logger = Logger(label: "keybound.alerts")) throws(AlertWebhookError) {
        guard ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw AlertWebhookError("the alert webhook must be an absolute http(s) URL")
        }
        self.url = url
        self.maximumQueued = max(1, maximumQueued)
        self.logger = logger
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 5
        self.session = URLSession(configuration: configuration)
    }

    /// Queues `alert` for delivery and returns at once.
    public func send(_ alert: SecurityAlert) {
        let start = queue.withLock { queue -> Bool in
            queue.pending.append(alert)
            if queue.pending.count > maximumQueued {
                queue.pending.removeFirst()
                logger.error("alert webhook queue full; dropped the oldest alert")
            }
            guard !queue.sending else { return false }
            queue.sending = true
            return true
        }
        if start { Task { await drain() } }
    }

    private func drain() async {
        while let next = queue.withLock({ queue -> SecurityAlert? in
            guard !queue.pending.isEmpty else {
                queue.sending = false
                return nil
            }
            return queue.pending.removeFirst()
        }) {
            await deliver(next)
        }
    }

    private func deliver(_ alert: SecurityAlert) async {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(JSONWriter().bytes(.object(alert.jsonObject)))
        for pause in [0.5, 1, 2, nil] as [Double?] {
            if let (_, response) = try? await session.data(for: request), let http = response as? HTTPURLResponse,
               (200..<300).contains(http.statusCode) {
                return
            }
            guard let pause else { break }
            try? await Task.sleep(for: .seconds(pause))
        }
        logger.error("alert webhook delivery failed after 4 attempts", metadata: ["alert": "\(alert.code)", "sequence": "\(alert.sequence)"])
    }
}

/// An alert webhook that cannot be configured.
public struct AlertWebhookError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public let description: String
    init(_ description: String) { self.description = description }
}
