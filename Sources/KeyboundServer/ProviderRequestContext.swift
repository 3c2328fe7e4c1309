import Hummingbird
import NIOCore

/// The request context of Keybound's provider routes: Hummingbird's own values and the TCP peer's
/// address, which sign-in throttling keys on.
public struct ProviderRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's own per-request values.
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer (`nil` for requests that came through no socket, as in-process tests).
    public let remoteAddress: SocketAddress?

    /// The context of a new request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address, if it has one.
    var peerAddress: IPAddress? {
        remoteAddress?.ipAddress.flatMap { IPAddress($0) }
    }
}
