import Hummingbird
import Keybound
import KeyboundValidation

/// Middleware that authenticates requests by an RFC 6750 bearer token verified with Keybound.
///
/// For each request it reads `Authorization` (the `Bearer` scheme in any letter case, exactly one
/// b64token), verifies the token with the `TokenVerifier` the provider returns for this
/// request (through a `VerifiedTokenCache` when one is given), runs the `OnlineTokenCheck`s on
/// a token the cache did not hold, records the
/// `AuthenticationOutcome` (and on success the `KeyboundIdentity`) in the context, calls
/// `onOutcome` exactly once, and then:
///
/// | Outcome | Response |
/// |---|---|
/// | authenticated | the next responder |
/// | no bearer credentials, `required` | 401, `WWW-Authenticate: Bearer realm="…"` (no error, RFC 6750 §3.1) |
/// | no bearer credentials, not `required` | the next responder, without identity |
/// | malformed header, or several `Authorization` headers | 400 `invalid_request` |
/// | the verifier rejected the token | 401 `invalid_token`, `error_description="<code>: <reason>"`, `keybound_code` in the body |
///
/// A presented token that fails is refused even when authentication is optional.
public struct BearerAuthenticator<Context: KeyboundAuthenticatedContext>: RouterMiddleware {
    /// Called once per request with its outcome, before the request proceeds or is refused.
    public typealias OutcomeHook = @Sendable (Request, Context, AuthenticationOutcome) async -> Void

    /// The realm of the challenges.
    public let realm: String
    /// Whether a request without bearer credentials is refused (401) rather than passed on unauthenticated.
    public let required: Bool
    private let verify: @Sendable (String) async -> Result<KeyboundIdentity, TokenRejection>
    private let onOutcome: OutcomeHook?

    /// An authenticator over the verifier `provider` returns for each request, so that a remote
    /// trust store can swap trust between requests.
    ///
    /// - Parameters:
    ///   - realm: The realm of `WWW-Authenticate` challenges.
    ///   - required: `false` lets requests without bearer credentials through unauthenticated.
    ///   - cache: Verified tokens to reuse; see `VerifiedTokenCache` for its rules. `nil` verifies every time.
    ///   - provider: Returns the verifier to use now.
    ///   - onlineChecks: Checks that may wait (a ledger lookup), run after the verifier on tokens the
    ///     cache did not hold (`OnlineTokenCheck`).
    ///   - onOutcome: Called once per request with its outcome, for audit logs.
    public init(
        realm: String = Bearer.defaultRealm, required: Bool = true, cache: VerifiedTokenCache? = nil,
        verifier provider: @escaping @Sendable () async -> TokenVerifier, onlineChecks: [any OnlineTokenCheck] = [],
        onOutcome: OutcomeHook? = nil
    ) {
        self.realm = realm
        self.required = required
        self.onOutcome = onOutcome
        if let cache {
            let caching = CachingTokenVerifier(cache: cache, verifier: provider)
            self.verify = { await caching.verify($0, onlineChecks: onlineChecks) }
        } else {
            self.verify = { await CachingTokenVerifier.verify($0, with: await provider(), onlineChecks: onlineChecks) }
        }
    }

    /// An authenticator over one fixed verifier.
    public init(
        realm: String = Bearer.defaultRealm, required: Bool = true, cache: VerifiedTokenCache? = nil,
        verifier: TokenVerifier, onOutcome: OutcomeHook? = nil
    ) {
        self.init(realm: realm, required: required, cache: cache, verifier: { verifier }, onOutcome: onOutcome)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let outcome: AuthenticationOutcome
        var refusal: BearerError?
        switch BearerCredentials.read(request.headers) {
        case .token(let token):
            switch await verify(token) {
            case .success(let identity):
                outcome = .authenticated(identity)
                context.identity = identity
            case .failure(let rejection):
                outcome = .rejected(rejection)
                refusal = .invalidToken(rejection, realm: realm)
            }
        case .missing:
            outcome = .missing
            if required { refusal = .missingToken(realm: realm) }
        case .malformed(let why):
            outcome = .malformedHeader
            refusal = .invalidRequest(why, realm: realm)
        }
        if outcome.identity == nil { context.identity = nil }
        context.authenticationOutcome = outcome
        if let onOutcome { await onOutcome(request, context, outcome) }
        if let refusal { throw refusal }
        return try await next(request, context)
    }
}
