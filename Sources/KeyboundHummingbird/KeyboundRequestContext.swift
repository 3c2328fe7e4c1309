import KeyboundValidation
import Hummingbird

/// A request context that can carry a bearer token's identity and the authentication outcome.
///
/// Conform your own context to it, or use ``KeyboundRequestContext``.
public protocol KeyboundAuthenticatedContext: RequestContext {
    /// The verified identity, set by ``BearerAuthenticator`` when a token verified.
    var identity: KeyboundIdentity? { get set }
    /// What ``BearerAuthenticator`` concluded; `nil` before it ran.
    var authenticationOutcome: AuthenticationOutcome? { get set }
}

/// The ready-made ``KeyboundAuthenticatedContext``.
public struct KeyboundRequestContext: KeyboundAuthenticatedContext {
    /// Hummingbird's own per-request values.
    public var coreContext: CoreRequestContextStorage
    /// The verified identity, if any.
    public var identity: KeyboundIdentity?
    /// The authentication outcome, once ``BearerAuthenticator`` ran.
    public var authenticationOutcome: AuthenticationOutcome?

    /// Creates the context of a new request, with no identity yet.
    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.authenticationOutcome = nil
    }
}
