import Dispatch
import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Admin routes for an issuer's users. A user is looked up together with the issuer in the path.
/// Passwords are hashed with bcrypt off the concurrency pool; no response shows a password or hash.
struct AdminUsers: Sendable {
    let context: ProviderContext

    var directory: DirectoryAdministration { DirectoryAdministration(manager: context.manager, store: context.store) }

    /// `GET /admin/issuers/{id}/users`
    func list(issuerID: String) async throws -> Response {
        let users = try await directory.users(issuerID: issuerID)
        return AdminResponse.make(JSONObject(["issuer": .string(issuerID), "users": .array(users.map { .object(StoreJSON.json($0)) })]))
    }

    /// `GET /admin/issuers/{id}/users/{username}`
    func show(issuerID: String, username: String) async throws -> Response {
        AdminResponse.make(StoreJSON.json(try await directory.user(issuerID: issuerID, username: username)))
    }

    /// `POST /admin/issuers/{id}/users`
    func create(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["username", "password", "name", "email", "roles"])
        let issuer = try await context.manager.issuer(id: issuerID)
        let username = try body.requiredString("username")
        let password = try body.requiredString("password")
        let name = try body.string("name") ?? username
        let email = try body.string("email")
        let roles = try body.strings("roles") ?? []
        try UserRoles.check(roles, issuer: issuer, resources: try await context.store.resources(issuerID: issuer.id))
        try DirectoryAdministration.checkNewUser(username: username, password: password, name: name, email: email)
        if try await context.store.user(issuerID: issuer.id, username: username) != nil {
            throw OAuthError.conflict("issuer '\(issuer.id)' already has a user '\(AdminBody.shown(username))'")
        }
        let cost = context.configuration.passwordHashCost
        let hash: String
        do {
            hash = try await context.passwordHashes.run { PasswordHasher.hash(password, cost: cost) }
        } catch {
            throw OAuthError.passwordHashingBusy(retryAfter: error.retryAfter)
        }
        let user = try await directory.createUser(username: username, passwordHash: hash, name: name, email: email, roles: roles,
                                                  issuerID: issuer.id, now: context.now())
        route.audit("user created", ["issuer": "\(issuer.id)", "username": "\(username)", "sub": "\(user.subject)",
                                     "roles": "\(roles.joined(separator: " "))"])
        return AdminResponse.make(StoreJSON.json(user), status: .created,
                                  location: "/admin/issuers/\(AdminResponse.segment(issuer.id))/users/\(AdminResponse.segment(username))")
    }

    /// `POST /admin/issuers/{id}/users/{username}/roles`: replaces the user's roles.
    func setRoles(_ request: Request, issuerID: String, username: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["roles"])
        guard let roles = try body.strings("roles") else {
            throw OAuthError.invalidRequest("the member 'roles' is required: the '<audience>/<role>' the user is to hold ([] for none)")
        }
        if case .tenantAdmin(let caller) = route.caller, let issuer = try? await context.manager.issuer(id: issuerID),
           let role = ConsoleResource.role(of: issuer), !roles.containsExactly("\(ConsoleResource.audience)/\(role)"),
           try await AdminLockout.isCaller(caller, issuerID: issuerID, username: username, directory: directory) {
            throw AdminLockout.refusal("these roles would take away your own console role")
        }
        let (user, changed) = try await directory.setUserRoles(roles, issuerID: issuerID, username: username)
        if changed {
            route.audit("user roles set", ["issuer": "\(issuerID)", "username": "\(username)", "roles": "\(roles.joined(separator: " "))"])
        }
        return AdminResponse.make(StoreJSON.json(user))
    }

    /// `POST /admin/issuers/{id}/users/{username}/disable` and `…/enable`.
    func setDisabled(_ disabled: Bool, _ request: Request, issuerID: String, username: String, route: AdminRoute) async throws -> Response {
        _ = try await AdminBody.read(request, allowed: [])
        if disabled, case .tenantAdmin(let caller) = route.caller,
           try await AdminLockout.isCaller(caller, issuerID: issuerID, username: username, directory: directory) {
            throw AdminLockout.refusal("disabling yourself would end your own console access")
        }
        let (user, changed) = try await directory.setUserDisabled(disabled, issuerID: issuerID, username: username)
        if changed {
            route.audit(disabled ? "user disabled" : "user enabled", ["issuer": "\(issuerID)", "username": "\(username)"])
        }
        return AdminResponse.make(StoreJSON.json(user))
    }
}
