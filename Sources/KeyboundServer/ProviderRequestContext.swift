import Hummingbird
import NIOCore

/// The request context of the provider's routes: Hummingbird's basic context plus the connected
/// peer's address, which the event streams count connections by. Never taken from a header (a
/// client could claim any address there).
public struct ProviderRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connected peer, if the channel knows it (a router test has none).
    public let remoteAddress: SocketAddress?

    /// A context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address (or socket path) as text, or `nil` when unknown.
    var clientAddress: String? {
        guard let remoteAddress else { return nil }
        return remoteAddress.ipAddress ?? remoteAddress.pathname
    }
}
