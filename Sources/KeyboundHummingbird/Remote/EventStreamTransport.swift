import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// The response to a streaming request: its head, then the body chunk by chunk as it arrives.
struct EventStreamResponse: Sendable {
    /// The HTTP status code.
    let status: Int
    /// Response headers, names lowercased.
    let headers: [String: String]
    /// The body, chunk by chunk; ends when the server closes, throws when the connection fails.
    let body: AsyncThrowingStream<[UInt8], any Error>
    /// Closes the connection (idempotent). Always called when the reader is done.
    let close: @Sendable () -> Void
}

/// Opens streaming requests for ``KeyEventSubscriber`` and ``TokenEventSubscriber``. Swappable for tests.
protocol EventStreamOpening: Sendable {
    /// Sends a GET (or, with a `body`, a POST of it) and returns once the response head has
    /// arrived. Cancellation closes the connection.
    func open(_ url: URL, headers: [String: String], body: [UInt8]?) async throws -> EventStreamResponse
}

/// Streaming requests over Foundation's `URLSession` with a data delegate: on Linux that is
/// swift-corelibs-foundation over libcurl (http and https), which hands each chunk over as it
/// arrives. One ephemeral session per connection, invalidated when the connection closes.
struct URLSessionEventStreamOpener: EventStreamOpening {
    /// A connection on which nothing (not even a keep-alive comment) arrives for this long fails.
    let idleTimeout: TimeInterval
    /// Chunks received but not yet read; beyond this the connection is dropped (a reader that
    /// cannot keep up must not buffer without bound).
    let maximumBufferedChunks: Int

    func open(_ url: URL, headers: [String: String], body: [UInt8]?) async throws -> EventStreamResponse {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let delegate = EventStreamDelegate(maximumBufferedChunks: maximumBufferedChunks)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: idleTimeout)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpMethod = "POST"
            request.httpBody = Data(body)
        }
        let task = session.dataTask(with: request)
        // Asynchronously: this can run inside a task's cancellation handler, where a synchronous
        // call into the session's queue can deadlock (see `URLSessionFetcher.load`).
        let close: @Sendable () -> Void = { DispatchQueue.global().async { session.invalidateAndCancel() } }
        delegate.onTermination = close
        do {
            let head = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    delegate.awaitHead(continuation)
                    task.resume()
                }
            } onCancel: {
                DispatchQueue.global().async { task.cancel() }
            }
            return EventStreamResponse(status: head.status, headers: head.headers, body: delegate.body, close: close)
        } catch {
            close()
            throw error
        }
    }
}

/// The data delegate of one streaming request: the response head resumes ``awaitHead(_:)``, body
/// chunks are yielded to ``body`` in order.
private final class EventStreamDelegate: NSObject, URLSessionDataDelegate, Sendable {
    typealias Head = (status: Int, headers: [String: String])

    private struct State {
        var head: CheckedContinuation<Head, any Error>?
        /// The outcome when it came before ``awaitHead(_:)`` (a cancelled task can complete at once).
        var early: Result<Head, any Error>?
        var onTermination: (@Sendable () -> Void)?
    }

    let body: AsyncThrowingStream<[UInt8], any Error>
    private let chunks: AsyncThrowingStream<[UInt8], any Error>.Continuation
    private let state = Mutex(State())

    init(maximumBufferedChunks: Int) {
        (body, chunks) = AsyncThrowingStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(maximumBufferedChunks))
        super.init()
        chunks.onTermination = { [weak self] _ in
            // The reader stopped (or was cancelled): close the connection.
            self?.onTermination?()
        }
    }

    var onTermination: (@Sendable () -> Void)? {
        get { state.withLock { $0.onTermination } }
        set { state.withLock { $0.onTermination = newValue } }
    }

    /// Hands `continuation` the response head, or the failure, whichever comes (or came) first.
    func awaitHead(_ continuation: CheckedContinuation<Head, any Error>) {
        let early = state.withLock { state -> Result<Head, any Error>? in
            if state.early == nil { state.head = continuation }
            return state.early
        }
        if let early { continuation.resume(with: early) }
    }

    /// Resumes the waiting ``awaitHead(_:)``, or keeps `outcome` for it; only the first outcome counts.
    private func settleHead(_ outcome: Result<Head, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<Head, any Error>? in
            if let head = state.head.take() { return head }
            if state.early == nil { state.early = outcome }
            return nil
        }
        waiting?.resume(with: outcome)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            settleHead(.failure(HTTPFetchError("not an HTTP response")))
            completionHandler(.cancel)
            return
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        settleHead(.success((http.statusCode, headers)))
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if case .dropped = chunks.yield(Array(data)) {
            chunks.finish(throwing: HTTPFetchError("the reader fell behind the event stream"))
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let failure = error.map { HTTPFetchError("\($0.localizedDescription)") }
        settleHead(.failure(failure ?? HTTPFetchError("the connection closed before a response")))
        if let failure { chunks.finish(throwing: failure) } else { chunks.finish() }
    }
}
