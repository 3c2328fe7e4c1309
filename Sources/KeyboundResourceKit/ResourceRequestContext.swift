import Hummingbird
import KeyboundHummingbird
import KeyboundValidation
import NIOCore

/// A protected resource's request context: the bearer identity and outcome, and the peer address
/// for the audit log.
public struct ResourceRequestContext: KeyboundAuthenticatedContext, RemoteAddressRequestContext {
    /// Hummingbird's own per-request values.
    public var coreContext: CoreRequestContextStorage
    /// The verified identity, once `BearerAuthenticator` accepted a token.
    public var identity: KeyboundIdentity?
    /// What the authenticator concluded.
    public var authenticationOutcome: AuthenticationOutcome?
    /// The client's address as the server saw it (`nil` in tests without a socket).
    public let remoteAddress: SocketAddress?

    /// The context of a new request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.authenticationOutcome = nil
        self.remoteAddress = source.channel.remoteAddress
    }
}
