import AsyncHTTPClient
import NIOCore

/// The library's outgoing HTTP (the remote trust store's discovery and JWKS fetches, the event
/// streams of ``KeyEventSubscriber`` and ``TokenEventSubscriber``, the alert webhook): one
/// AsyncHTTPClient for the whole process.
///
/// - Redirects are never followed (``HTTPClient/Configuration/RedirectConfiguration/disallow``): a
///   3xx comes back as a status, and every caller refuses anything but the answer it asked for, so
///   an issuer's documents are only ever read from the URL the configuration names.
/// - No response is decompressed (no decompression bombs); no proxy is read from the environment.
/// - No read timeout on the client: each caller sets its own bound (a fetch's deadline, an event
///   stream's idle timeout).
/// - The client runs on NIO's process-wide event loop group and lives as long as the process, like
///   `HTTPClient.shared` (which follows redirects, and has no per-request way to refuse them): there
///   is nothing to shut down and no event loop group of its own to leak.
package enum OutgoingHTTP {
    /// The process-wide client.
    static let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)

    /// Event streams hold a connection each for as long as they run, so the per-host connection
    /// limit is well above what a validator follows (two streams per trusted issuer, and issuers
    /// often share a host); requests beyond the limit would wait for a free connection.
    static let connectionsPerHost = 256

    /// A client configured like ``client`` but owned by the caller, who must shut it down
    /// (`shutdown()`, which waits until its connections, even those still being made, are closed).
    /// For a process that must know that no connection of its own is left, e.g. before it stops
    /// servers in the same process (the drill).
    package static func makeOwnedClient() -> HTTPClient {
        HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    static var configuration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: nil),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost),
            decompression: .disabled)
        configuration.httpVersion = .automatic
        return configuration
    }

    /// The NIO deadline `seconds` from now.
    static func deadline(in seconds: Double) -> NIODeadline {
        .now() + .nanoseconds(Int64(max(0, min(seconds, 86_400)) * 1_000_000_000))
    }
}
