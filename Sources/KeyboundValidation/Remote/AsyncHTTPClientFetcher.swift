import AsyncHTTPClient
import Foundation
import NIOCore

/// ``HTTPFetching`` over AsyncHTTPClient (the process-wide `OutgoingHTTP/client`).
///
/// - Redirects are never followed: a 3xx is returned as its status (``RemoteTrustStore`` refuses
///   it), so a document is only ever read from the URL asked for.
/// - The size cap holds while the body streams in: a `Content-Length` over `maximumBytes` is refused
///   at once, and a body without one is read chunk by chunk and refused (the connection closed) as
///   soon as it passes the cap.
/// - ``timeout`` bounds the whole fetch, head and body: a body that trickles in forever fails.
/// - Cancelling the calling task cancels the request and closes its connection.
public struct AsyncHTTPClientFetcher: HTTPFetching {
    /// The most one fetch may take, from the request to the last byte of the body.
    public let timeout: TimeInterval
    let client: HTTPClient

    /// A fetcher on the process-wide client with a per-request deadline (default 5 s).
    public init(timeout: TimeInterval = 5) {
        self.init(timeout: timeout, client: OutgoingHTTP.client)
    }

    /// A fetcher on `client`, which must not follow redirects (see ``OutgoingHTTP/makeOwnedClient()``).
    package init(timeout: TimeInterval, client: HTTPClient) {
        self.timeout = timeout
        self.client = client
    }

    public func get(_ url: URL, maximumBytes: Int) async throws -> HTTPFetchResult {
        let target = url.absoluteString
        var request = HTTPClientRequest(url: target)
        request.headers.add(name: "Accept", value: "application/json")
        let client = self.client
        let deadline = OutgoingHTTP.deadline(in: timeout)
        do {
            return try await OutgoingHTTP.withTimeLimit(.seconds(timeout), "GET \(target)") { [request] in
                let response = try await client.execute(request, deadline: deadline)
                let body = try await Self.read(response, maximumBytes: maximumBytes, target: target)
                return HTTPFetchResult(status: Int(response.status.code), headers: response.headers.lowercasedDictionary, body: body)
            }
        } catch let error as HTTPFetchError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw HTTPFetchError("GET \(target) timed out after \(Duration.seconds(timeout))")
        } catch {
            throw HTTPFetchError("GET \(target) failed: \(error)")
        }
    }

    /// The body of `response`, refused as soon as it is known to be larger than `maximumBytes`.
    static func read(_ response: HTTPClientResponse, maximumBytes: Int, target: String) async throws -> [UInt8] {
        let tooLarge = HTTPFetchError("GET \(target): the body is larger than \(maximumBytes) bytes")
        if let declared = response.headers.contentLength, declared > maximumBytes { throw tooLarge }
        var body: [UInt8] = []
        body.reserveCapacity(min(response.headers.contentLength ?? 0, maximumBytes))
        for try await buffer in response.body {
            // Leaving the loop drops the body's iterator, which cancels the request and closes the connection.
            guard buffer.readableBytes <= maximumBytes - body.count else { throw tooLarge }
            body.append(contentsOf: buffer.readableBytesView)
        }
        return body
    }
}
