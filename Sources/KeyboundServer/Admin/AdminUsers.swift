import Dispatch
import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Admin routes for an issuer's users. A user is looked up together with the issuer in the path.
/// Passwords are hashed with bcrypt off the concurrency pool; no response shows a password or hash.
struct AdminUsers: Sendable {
    let context: ProviderContext

    /// The shortest password accepted, in characters.
    static let minimumPasswordLength = 12
    /// bcrypt reads at most 72 bytes; a longer password would be silently truncated, so it is refused.
    static let maximumPasswordBytes = 72

    /// `GET /admin/issuers/{id}/users`
    func list(issuerID: String) throws -> Response {
        let issuer = try context.manager.issuer(id: issuerID)
        let users = try context.store.users(issuerID: issuer.id)
        return AdminResponse.make(JSONObject(["issuer": .string(issuer.id), "users": .array(users.map { .object(StoreJSON.json($0)) })]))
    }

    /// `GET /admin/issuers/{id}/users/{username}`
    func show(issuerID: String, username: String) throws -> Response {
        AdminResponse.make(StoreJSON.json(try lookup(issuerID: issuerID, username: username)))
    }

    /// `POST /admin/issuers/{id}/users`
    func create(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["username", "password", "name", "email"])
        let issuer = try context.manager.issuer(id: issuerID)
        let username = try body.requiredString("username")
        try AdminBody.checkLine(username, "username", limit: 256)
        let password = try body.requiredString("password")
        guard password.count >= Self.minimumPasswordLength else {
            throw OAuthError.invalidRequest("a password needs at least \(Self.minimumPasswordLength) characters")
        }
        guard password.utf8.count <= Self.maximumPasswordBytes else {
            throw OAuthError.invalidRequest("a password is at most \(Self.maximumPasswordBytes) bytes of UTF-8 (bcrypt reads no more)")
        }
        let name = try body.string("name") ?? username
        try AdminBody.checkLine(name, "name")
        let email = try body.string("email")
        if let email {
            try AdminBody.checkLine(email, "email", limit: 254)
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !email.contains(" ") else {
                throw OAuthError.invalidRequest("'email' must be an address like name@example.com")
            }
        }
        if try context.store.user(issuerID: issuer.id, username: username) != nil {
            throw OAuthError(status: .conflict, error: "conflict", description: "issuer '\(issuer.id)' already has a user '\(AdminBody.shown(username))'")
        }
        let cost = context.configuration.passwordHashCost
        let hash: String
        do {
            hash = try await context.passwordHashes.run { PasswordHasher.hash(password, cost: cost) }
        } catch {
            throw OAuthError.passwordHashingBusy(retryAfter: error.retryAfter)
        }
        let user = UserRecord(issuerID: issuer.id, subject: Secrets.uuid(), username: username, passwordHash: hash,
                              displayName: name, email: email, createdAt: context.now())
        try context.store.insert(user)
        route.audit("user created", ["issuer": "\(issuer.id)", "username": "\(username)", "sub": "\(user.subject)"])
        return AdminResponse.make(StoreJSON.json(user), status: .created,
                                  location: "/admin/issuers/\(AdminResponse.segment(issuer.id))/users/\(AdminResponse.segment(username))")
    }

    /// `POST /admin/issuers/{id}/users/{username}/disable` and `…/enable`.
    func setDisabled(_ disabled: Bool, _ request: Request, issuerID: String, username: String, route: AdminRoute) async throws -> Response {
        _ = try await AdminBody.read(request, allowed: [])
        var user = try lookup(issuerID: issuerID, username: username)
        if user.isDisabled != disabled {
            user.isDisabled = disabled
            try context.store.update(user)
            route.audit(disabled ? "user disabled" : "user enabled", ["issuer": "\(issuerID)", "username": "\(username)"])
        }
        return AdminResponse.make(StoreJSON.json(user))
    }

    /// The user `username` of issuer `issuerID`, or 404 (for an unknown issuer, too).
    func lookup(issuerID: String, username: String) throws -> UserRecord {
        let issuer = try context.manager.issuer(id: issuerID)
        guard let user = try context.store.user(issuerID: issuer.id, username: username) else {
            throw OAuthError.notFound("issuer '\(issuer.id)' has no user '\(AdminBody.shown(username))'")
        }
        return user
    }
}
