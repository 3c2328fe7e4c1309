import Hummingbird
import KeyboundStore
import NIOCore

/// The request context of Keybound's provider routes: Hummingbird's own values and the connected
/// peer's address, which sign-in throttling (behind `ClientAddressResolver`'s trusted proxies) and
/// the event streams' caps (never from a header) key on.
public struct ProviderRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's own per-request values.
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer (`nil` for requests that came through no socket, as in-process tests).
    public let remoteAddress: SocketAddress?
    /// The issuer named by the path, set once by ``IssuerResolution`` on the issuer's route group.
    var resolvedIssuer: IssuerRecord?
    /// Who is calling the admin API, set once by ``AdminAuthentication`` on the `/admin` group.
    var adminCaller: AdminCaller?

    /// The context of a new request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The issuer of this request's route group (``IssuerResolution``). A route outside the group
    /// that asks fails closed.
    func issuer() throws -> IssuerRecord {
        guard let resolvedIssuer else { throw OAuthError.serverError("the route has no issuer") }
        return resolvedIssuer
    }

    /// The peer's IP address, if it has one.
    var peerAddress: IPAddress? {
        remoteAddress?.ipAddress.flatMap { IPAddress($0) }
    }

    /// The peer's IP address (or socket path) as text, or `nil` when unknown.
    var clientAddress: String? {
        guard let remoteAddress else { return nil }
        return remoteAddress.ipAddress ?? remoteAddress.pathname
    }
}
