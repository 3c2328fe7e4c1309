import Hummingbird

/// What a protected resource says about itself to the kit: its names, its audience, and how to
/// read an attempt from a request's method and path before any token is trusted.
public struct ResourceDescription: Sendable {
    /// For people: "Keybound Mail".
    public let name: String
    /// The metric prefix: `mail` gives `keybound_mail_audit_dropped_total`.
    public let metricsName: String
    /// The `aud` its access tokens carry, registered as a resource at each issuer ("api://mail").
    public let audience: String
    /// The realm of its `WWW-Authenticate` challenges.
    public let realm: String
    /// The delegated scopes it defines (registered with its audience at each issuer).
    public let scopes: [String]
    /// The application roles it defines, which only an enterprise tenant grants.
    public let tenantRoles: [String]
    /// The attempt a request makes, read from its method and path alone (no token trusted): the
    /// audit record of a refused token names it.
    public let classify: @Sendable (Request) -> ResourceAttempt

    /// A description; `classify` must not throw or trust anything but the request line.
    public init(name: String, metricsName: String, audience: String, realm: String, scopes: [String] = [], tenantRoles: [String] = [],
                classify: @escaping @Sendable (Request) -> ResourceAttempt) {
        self.scopes = scopes
        self.tenantRoles = tenantRoles
        self.name = name
        self.metricsName = metricsName
        self.audience = audience
        self.realm = realm
        self.classify = classify
    }
}

/// An attempt as the request line shows it: the operation (`messages.list`), the resource it
/// addresses and the items it names.
public struct ResourceAttempt: Sendable, Equatable {
    /// The operation, as the audit record's `operation`.
    public var operation: String
    /// The resource the path addresses, if any.
    public var resource: String?
    /// The items the path names.
    public var items: [String]

    /// An attempt.
    public init(operation: String, resource: String? = nil, items: [String] = []) {
        self.operation = operation
        self.resource = resource
        self.items = items
    }

    /// The path's segments, percent-decoded: what `classify` functions match on.
    public static func pathSegments(_ request: Request) -> [String] {
        request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
    }
}
