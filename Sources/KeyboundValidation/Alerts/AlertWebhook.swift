import AsyncHTTPClient
import Foundation
import Keybound
import Logging
import Synchronization

/// Delivers alerts to an HTTP endpoint: one `POST` of the alert's JSON per alert, in order, off the
/// request path. A failed delivery (no 2xx) is retried 3 times with 0.5 s, 1 s and 2 s pauses,
/// then logged and dropped; at most ``maximumQueued`` alerts wait (the oldest is dropped beyond).
/// Each attempt has 5 s; redirects are never followed (a 3xx is a failed delivery) and at most
/// 64 KiB of the answer is read. Sent with the process-wide `OutgoingHTTP/client`.
public final class AlertWebhook: Sendable {
    /// The endpoint.
    public let url: URL
    /// The most alerts waiting for delivery.
    public let maximumQueued: Int
    private let logger: Logger
    private let client: HTTPClient
    private let queue: Mutex<(pending: [SecurityAlert], sending: Bool)> = Mutex(([], false))

    /// A webhook posting to `url` (http or https). Throws for any other URL.
    public init(url: URL, maximumQueued: Int = 1_000, logger: Logger = Logger(label: "keybound.alerts")) throws(AlertWebhookError) {
        guard ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw AlertWebhookError("the alert webhook must be an absolute http(s) URL")
        }
        self.url = url
        self.maximumQueued = max(1, maximumQueued)
        self.logger = logger
        self.client = OutgoingHTTP.client
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
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(JSONWriter().bytes(.object(alert.jsonObject)))
        for pause in [0.5, 1, 2, nil] as [Double?] {
            if let status = try? await post(request), (200..<300).contains(status) { return }
            guard let pause else { break }
            try? await Task.sleep(for: .seconds(pause))
        }
        logger.error("alert webhook delivery failed after 4 attempts", metadata: ["alert": "\(alert.code)", "sequence": "\(alert.sequence)"])
    }

    /// One attempt, within 5 s: the status, after reading at most 64 KiB of the answer (a longer
    /// answer is cut off, which closes the connection, and does not fail the delivery).
    private func post(_ request: HTTPClientRequest) async throws -> Int {
        let client = self.client
        return try await OutgoingHTTP.withTimeLimit(.seconds(5), "POST \(url.absoluteString)") { [request] in
            let response = try await client.execute(request, deadline: OutgoingHTTP.deadline(in: 5))
            _ = try? await AsyncHTTPClientFetcher.read(response, maximumBytes: 64 * 1024, target: request.url)
            return Int(response.status.code)
        }
    }
}

/// An alert webhook that cannot be configured.
public struct AlertWebhookError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public let description: String
    init(_ description: String) { self.description = description }
}
