import Foundation
import Keybound
import KeyboundStore

/// The operations on an issuer's clients, users and resources that the admin API and the CLI
/// (`keybound client|user|resource`) share: one implementation, so one set of rules — roles are
/// checked by `ClientRoles/check(_:issuer:resources:)` (a consumer realm's clients
/// hold none), secrets are random and stored only as SHA-256. Every failure is a `StoreError`
/// (`invalid_*` → 400 / exit 2, `*_not_found` → 404, `*_exists` → 409).
public struct DirectoryAdministration: Sendable {
    let manager: KeyManager
    let store: any ProviderStore

    /// Operations over `manager`'s issuers and `store`'s directory.
    public init(manager: KeyManager, store: any ProviderStore) {
        self.manager = manager
        self.store = store
    }

    /// What a new client is.
    public struct NewClient: Sendable {
        /// The client id; a random UUID when `nil`.
        public var clientID: String?
        /// The display name.
        public var name: String
        /// How the client authenticates at the token endpoint.
        public var method: ClientRecord.AuthenticationMethod
        /// The grant types it may use.
        public var grantTypes: [String]
        /// Its exact redirect URIs.
        public var redirectURIs: [String] = []
        /// Application roles, `<audience>/<role>` of the issuer's resources.
        public var roles: [String] = []
        /// Whether it skips the consent page.
        public var isFirstParty = false
        /// The public key set of a `private_key_jwt` client, as JSON text (already checked).
        public var jwks: String?
        /// The algorithm its ID tokens are signed with (`id_token_signed_response_alg`); RS256 when `nil`.
        public var idTokenSignedResponseAlgorithm: JWSAlgorithm?

        /// A client with the required settings.
        public init(clientID: String?, name: String, method: ClientRecord.AuthenticationMethod, grantTypes: [String]) {
            self.clientID = clientID
            self.name = name
            self.method = method
            self.grantTypes = grantTypes
        }
    }

    /// Registers a client; returns it and, for a secret client, its secret (shown once, never stored).
    public func createClient(_ new: NewClient, issuerID: String, now: Date) async throws(StoreError) -> (client: ClientRecord, secret: String?) {
        let issuer = try await manager.issuer(id: issuerID)
        let clientID = new.clientID ?? Secrets.uuid()
        guard ClientRecord.isValidClientID(clientID) else {
            throw StoreError(.invalidClient, "a client id is 1–128 characters of a-z, A-Z, 0-9, '-' and '_'")
        }
        guard !new.grantTypes.isEmpty else {
            throw StoreError(.invalidClient, "a client needs one or more grant types: \(ClientRecord.supportedGrantTypes.joined(separator: ", "))")
        }
        try ClientRoles.check(new.roles, issuer: issuer, resources: try await store.resources(issuerID: issuer.id))
        if new.jwks != nil, new.method != .privateKeyJWT {
            throw StoreError(.invalidClient, "a key set ('jwks') is only for private_key_jwt clients")
        }
        var secret: String?
        if new.method == .clientSecretBasic || new.method == .clientSecretPost { secret = Secrets.random256(prefix: "kbs_") }
        var client = ClientRecord(
            issuerID: issuer.id, clientID: clientID, name: new.name, authenticationMethod: new.method,
            secretHash: secret.map { Secrets.hexDigest($0) }, jwks: new.jwks, redirectURIs: new.redirectURIs,
            grantTypes: new.grantTypes, roles: new.roles, isFirstParty: new.isFirstParty, createdAt: now)
        client.idTokenSignedResponseAlgorithm = new.idTokenSignedResponseAlgorithm
        try await store.insert(client)
        return (client, secret)
    }

    /// Grants `roles` (added to those it holds) to client `clientID` of `issuerID`.
    public func grantRoles(_ roles: [String], issuerID: String, clientID: String) async throws(StoreError) -> ClientRecord {
        let issuer = try await manager.issuer(id: issuerID)
        var client = try await self.client(issuerID: issuer.id, clientID: clientID)
        guard !roles.isEmpty else { throw StoreError(.invalidClient, "name at least one role to grant") }
        var all = client.roles
        for role in roles where !all.containsExactly(role) { all.append(role) }
        try ClientRoles.check(all, issuer: issuer, resources: try await store.resources(issuerID: issuer.id))
        guard all.count != client.roles.count else { return client }
        client.roles = all
        try await store.update(client)
        return client
    }

    /// Replaces the secret of a secret client; returns the client and the new secret (shown once).
    public func rotateSecret(issuerID: String, clientID: String) async throws(StoreError) -> (client: ClientRecord, secret: String) {
        var client = try await self.client(issuerID: issuerID, clientID: clientID)
        guard client.authenticationMethod == .clientSecretBasic || client.authenticationMethod == .clientSecretPost else {
            throw StoreError(.invalidClient, "client '\(clientID)' authenticates with \(client.authenticationMethod.rawValue) and has no secret")
        }
        let secret = Secrets.random256(prefix: "kbs_")
        client.secretHash = Secrets.hexDigest(secret)
        try await store.update(client)
        return (client, secret)
    }

    /// Disables or enables a client; returns it and whether it changed.
    public func setClientDisabled(_ disabled: Bool, issuerID: String, clientID: String) async throws(StoreError) -> (client: ClientRecord, changed: Bool) {
        var client = try await self.client(issuerID: issuerID, clientID: clientID)
        guard client.isDisabled != disabled else { return (client, false) }
        client.isDisabled = disabled
        try await store.update(client)
        return (client, true)
    }

    /// The client `clientID` of `issuerID` (`issuer_not_found` / `client_not_found` otherwise).
    public func client(issuerID: String, clientID: String) async throws(StoreError) -> ClientRecord {
        let issuer = try await manager.issuer(id: issuerID)
        guard let client = try await store.client(issuerID: issuer.id, clientID: clientID) else {
            throw StoreError(.clientNotFound, "issuer '\(issuer.id)' has no client '\(Self.shown(clientID))'")
        }
        return client
    }

    /// Every client of `issuerID`.
    public func clients(issuerID: String) async throws(StoreError) -> [ClientRecord] {
        try await store.clients(issuerID: try await manager.issuer(id: issuerID).id)
    }

    // MARK: Users

    /// The shortest password accepted, in characters.
    public static let minimumPasswordLength = 12
    /// bcrypt reads at most 72 bytes; a longer password would be silently truncated, so it is refused.
    public static let maximumPasswordBytes = 72

    /// Checks a new user's settings (before the slow password hash is computed), as the document's
    /// `UserCreate` schema: lengths in code points, no control characters in names; the 72-byte
    /// bcrypt limit, which a schema cannot state, is the one `invalid_user` a well-formed request meets.
    public static func checkNewUser(username: String, password: String, name: String, email: String?) throws(StoreError) {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value <= 0x1F || (0x7F...0x9F).contains(scalar.value) }
        func line(_ value: String, _ field: String, limit: Int) throws(StoreError) {
            let scalars = value.unicodeScalars
            guard !scalars.isEmpty, scalars.count <= limit, !scalars.contains(where: isControl) else {
                throw StoreError(.invalidUser, "'\(field)' must be one line of 1–\(limit) characters without control characters")
            }
        }
        try line(username, "username", limit: 256)
        guard password.unicodeScalars.count >= minimumPasswordLength else {
            throw StoreError(.invalidUser, "a password needs at least \(minimumPasswordLength) characters")
        }
        guard password.unicodeScalars.count <= maximumPasswordBytes, password.utf8.count <= maximumPasswordBytes else {
            throw StoreError(.invalidUser, "a password is at most \(maximumPasswordBytes) bytes of UTF-8 (bcrypt reads no more)")
        }
        try line(name, "name", limit: 256)
        if let email {
            // ^[^@ controls]+@[^@ controls]+$, at most 254 code points.
            let scalars = Array(email.unicodeScalars)
            let at = scalars.indices.filter { scalars[$0] == "@" }
            guard scalars.count <= 254, at.count == 1, at[0] > 0, at[0] < scalars.count - 1,
                  !scalars.contains(where: { $0 == " " || isControl($0) }) else {
                throw StoreError(.invalidUser, "'email' must be an address like name@example.com")
            }
        }
    }

    /// Creates a user whose password is already hashed (bcrypt) by the caller.
    public func createUser(username: String, passwordHash: String, name: String, email: String?, roles: [String] = [],
                           issuerID: String, now: Date) async throws(StoreError) -> UserRecord {
        let issuer = try await manager.issuer(id: issuerID)
        if try await store.user(issuerID: issuer.id, username: username) != nil {
            throw StoreError(.userExists, "issuer '\(issuer.id)' already has a user '\(Self.shown(username))'")
        }
        try UserRoles.check(roles, issuer: issuer, resources: try await store.resources(issuerID: issuer.id))
        let user = UserRecord(issuerID: issuer.id, subject: Secrets.uuid(), username: username, passwordHash: passwordHash,
                              displayName: name, email: email, createdAt: now, roles: roles)
        try await store.insert(user)
        return user
    }

    /// Replaces the roles of user `username` of `issuerID` (``UserRoles``); returns it and whether it changed.
    public func setUserRoles(_ roles: [String], issuerID: String, username: String) async throws(StoreError) -> (user: UserRecord, changed: Bool) {
        let issuer = try await manager.issuer(id: issuerID)
        var user = try await self.user(issuerID: issuer.id, username: username)
        try UserRoles.check(roles, issuer: issuer, resources: try await store.resources(issuerID: issuer.id))
        guard !user.roles.elementsEqual(roles, by: { $0.isExactly($1) }) else { return (user, false) }
        user.roles = roles
        try await store.update(user)
        return (user, true)
    }

    /// Disables or enables a user; returns it and whether it changed.
    public func setUserDisabled(_ disabled: Bool, issuerID: String, username: String) async throws(StoreError) -> (user: UserRecord, changed: Bool) {
        var user = try await self.user(issuerID: issuerID, username: username)
        guard user.isDisabled != disabled else { return (user, false) }
        user.isDisabled = disabled
        try await store.update(user)
        return (user, true)
    }

    /// The user `username` of `issuerID` (`issuer_not_found` / `user_not_found` otherwise).
    public func user(issuerID: String, username: String) async throws(StoreError) -> UserRecord {
        let issuer = try await manager.issuer(id: issuerID)
        guard let user = try await store.user(issuerID: issuer.id, username: username) else {
            throw StoreError(.userNotFound, "issuer '\(issuer.id)' has no user '\(Self.shown(username))'")
        }
        return user
    }

    /// Every user of `issuerID`.
    public func users(issuerID: String) async throws(StoreError) -> [UserRecord] {
        try await store.users(issuerID: try await manager.issuer(id: issuerID).id)
    }

    // MARK: Resources

    /// Defines `role` on the resource `audience` of `issuerID` (exact bytes; nothing changes if it
    /// is there already). Returns the resource and whether it changed.
    public func addResourceRole(_ role: String, audience: String, issuerID: String) async throws(StoreError) -> (resource: ResourceRecord, changed: Bool) {
        let issuer = try await manager.issuer(id: issuerID)
        guard Self.isValidRoleName(role) else {
            throw StoreError(.invalidClient, "a role name is 1–128 characters of A-Z, a-z, 0-9, '.', '_' and '-' (e.g. AuditLog.Read.All)")
        }
        guard var resource = try await store.resources(issuerID: issuer.id).first(where: { $0.audience.isExactly(audience) }) else {
            throw StoreError(.resourceNotFound, "issuer '\(issuer.id)' has no resource '\(Self.shown(audience))'")
        }
        guard !resource.roles.containsExactly(role) else { return (resource, false) }
        resource.roles.append(role)
        try await store.upsert(resource)
        return (resource, true)
    }

    /// Every resource of `issuerID`.
    public func resources(issuerID: String) async throws(StoreError) -> [ResourceRecord] {
        try await store.resources(issuerID: try await manager.issuer(id: issuerID).id)
    }

    /// 1–128 characters of `A-Z a-z 0-9 . _ -`.
    public static func isValidRoleName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128 && name.utf8.allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// A value quoted in a message: at most 64 characters, control characters escaped.
    static func shown(_ text: String) -> String { AdminBody.shown(text) }
}
