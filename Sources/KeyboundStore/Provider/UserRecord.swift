import Foundation

/// A person who signs in at one issuer. Users, like clients, belong to exactly one issuer.
public struct UserRecord: Sendable, Equatable {
    /// The issuer's id.
    public var issuerID: String
    /// The stable subject identifier (`sub`), a random UUID.
    public var subject: String
    /// The sign-in name, unique within the issuer.
    public var username: String
    /// The bcrypt hash of the password. Never shown by any API.
    public var passwordHash: String
    /// Display name (`name`).
    public var displayName: String
    /// E-mail address (`email`).
    public var email: String?
    /// When the user was created.
    public var createdAt: Date
    /// A disabled user cannot sign in.
    public var isDisabled: Bool
    /// Roles the user holds, each `<audience>/<role>` of a resource of the same issuer, as
    /// `keybound://console/Console.TenantAdmin` (``UserRoles``). A token for that audience carries
    /// the role names (`Console.TenantAdmin`) in its `roles` claim.
    public var roles: [String]

    /// A user record.
    public init(issuerID: String, subject: String, username: String, passwordHash: String, displayName: String,
                email: String?, createdAt: Date, isDisabled: Bool = false, roles: [String] = []) {
        self.issuerID = issuerID
        self.subject = subject
        self.username = username
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.email = email
        self.createdAt = createdAt
        self.isDisabled = isDisabled
        self.roles = roles
    }

    /// The names of the roles the user holds on `audience` (`Console.Operator` for
    /// `keybound://console`), compared by exact bytes.
    public func roleNames(on audience: String) -> [String] {
        // A name with a '/' is a role of a longer audience (`api://x/y/R` is not `y/R` of `api://x`).
        roles.compactMap { $0.droppingExactPrefix(audience + "/") }.filter { !$0.isEmpty && !$0.contains("/") }
    }
}
