import KeyboundValidation
import Hummingbird

/// Middleware that lets a request through only if the identity set by ``BearerAuthenticator``
/// meets an `IdentityRequirement`. Place it after the authenticator.
///
/// Refusals: no identity → 401 with a bare challenge; an issuer not allowed → 401 `invalid_token`;
/// the wrong kind of principal, or none of the scopes or roles → 403 `insufficient_scope` with
/// `scope="…"`. `onDenied` is called before each refusal, for audit logs.
public struct RequireIdentity<Context: KeyboundAuthenticatedContext>: RouterMiddleware {
    /// Called once for each refused request, before the refusal is answered.
    public typealias DenialHook = @Sendable (Request, Context, AccessDenial) async -> Void

    /// What the identity must show.
    public let requirement: IdentityRequirement
    /// The realm of the challenges.
    public let realm: String
    private let onDenied: DenialHook?

    /// Middleware enforcing `requirement`.
    public init(_ requirement: IdentityRequirement, realm: String = Bearer.defaultRealm, onDenied: DenialHook? = nil) {
        self.requirement = requirement
        self.realm = realm
        self.onDenied = onDenied
    }

    /// Middleware enforcing a requirement built from these values; throws when `allowedIssuers` is
    /// empty (see `IdentityRequirement/init(allowedIssuers:anyOfScopes:anyOfRoles:principal:)`).
    public init(
        allowedIssuers: Set<String>, anyOfScopes: Set<String> = [], anyOfRoles: Set<String> = [],
        principal: PrincipalRequirement = .any, realm: String = Bearer.defaultRealm, onDenied: DenialHook? = nil
    ) throws(IdentityRequirementError) {
        self.init(try IdentityRequirement(allowedIssuers: allowedIssuers, anyOfScopes: anyOfScopes, anyOfRoles: anyOfRoles,
                                          principal: principal),
                  realm: realm, onDenied: onDenied)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let denial = requirement.evaluate(context.identity) {
            if let onDenied { await onDenied(request, context, denial) }
            throw denial.error(requirement: requirement, realm: realm)
        }
        return try await next(request, context)
    }
}
