import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// One HTTP GET, as the remote trust store needs it. Swappable so tests can count and fail fetches.
public protocol HTTPFetching: Sendable {
    /// Fetches `url`; returns the status, the response headers (lowercased names) and at most
    /// `maximumBytes` of body, or throws.
    func get(_ url: URL, maximumBytes: Int) async throws -> HTTPFetchResult
}

/// A fetched response.
public struct HTTPFetchResult: Sendable {
    /// The HTTP status code.
    public let status: Int
    /// Response headers, names lowercased.
    public let headers: [String: String]
    /// The body.
    public let body: [UInt8]

    /// A result.
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why a fetch failed.
public struct HTTPFetchError: Error, Sendable, CustomStringConvertible {
    /// One line.
    public let description: String
    /// An error.
    public init(_ description: String) { self.description = description }
}

/// ``HTTPFetching`` over Foundation's `URLSession` (libcurl on Linux): no redirects are followed
/// to other hosts' documents silently — the caller checks the final issuer and URLs itself.
public struct URLSessionFetcher: HTTPFetching {
    let session: URLSession
    let timeout: TimeInterval

    /// A fetcher with its own ephemeral session and a per-request timeout (default 5 s).
    public init(timeout: TimeInterval = 5) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        self.session = URLSession(configuration: configuration)
        self.timeout = timeout
    }

    public func get(_ url: URL, maximumBytes: Int) async throws -> HTTPFetchResult {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await Self.load(request, in: session)
        } catch {
            throw HTTPFetchError("GET \(url.absoluteString) failed: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw HTTPFetchError("GET \(url.absoluteString): not an HTTP response") }
        guard data.count <= maximumBytes else { throw HTTPFetchError("GET \(url.absoluteString): more than \(maximumBytes) bytes") }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return HTTPFetchResult(status: http.statusCode, headers: headers, body: Array(data))
    }
}

extension URLSessionFetcher {
    /// `session.data(for:)`, but safe to cancel on Linux: swift-corelibs-foundation's own async
    /// version cancels its task synchronously on the session's queue from inside the task's
    /// cancellation handler, which deadlocks when that queue is at the same moment resuming the
    /// awaiting task. Here the URLSession task is cancelled asynchronously instead.
    static func load(_ request: URLRequest, in session: URLSession) async throws -> (Data, URLResponse) {
        let task = Mutex<URLSessionDataTask?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let dataTask = session.dataTask(with: request) { data, response, error in
                    if let data, let response { continuation.resume(returning: (data, response)) } else {
                        continuation.resume(throwing: error ?? HTTPFetchError("no response"))
                    }
                }
                task.withLock { $0 = dataTask }
                dataTask.resume()
                if Task.isCancelled { DispatchQueue.global().async { dataTask.cancel() } }
            }
        } onCancel: {
            if let dataTask = task.withLock({ $0 }) { DispatchQueue.global().async { dataTask.cancel() } }
        }
    }
}

/// The `max-age` of a `Cache-Control` header, if any (`no-store`/`no-cache` give 0).
enum CacheControl {
    static func maxAge(_ header: String?) -> TimeInterval? {
        guard let header else { return nil }
        var result: TimeInterval?
        for directive in header.split(separator: ",") {
            let parts = directive.trimmingCharacters(in: .whitespaces).lowercased().split(separator: "=", maxSplits: 1)
            switch parts.first {
            case "no-store", "no-cache": return 0
            case "max-age": if parts.count == 2, let seconds = Int(parts[1]), seconds >= 0 { result = TimeInterval(seconds) }
            default: continue
            }
        }
        return result
    }
}
