import Foundation

/// One HTTP GET, as the remote trust store needs it (``AsyncHTTPClientFetcher`` by default).
/// Swappable so tests can count and fail fetches.
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
