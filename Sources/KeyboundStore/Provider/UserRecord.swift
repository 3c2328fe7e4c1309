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

    /// A user record.
    public init(issuerID: String, subject: String, username: String, passwordHash: String, displayName: String,
                email: String?, createdAt: Date, isDisabled: Bool = false) {
        self.issuerID = issuerID
        self.subject = subject
        self.username = username
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.email = email
        self.createdAt = createdAt
        self.isDisabled = isDisabled
    }
}
