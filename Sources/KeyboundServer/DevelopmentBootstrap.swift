import Foundation
import Keybound
import KeyboundStore

/// The development setup `keybound serve` creates on an empty store: two separate identity
/// systems, like MSA and an Azure AD tenant, each with its own keys, a test user, a confidential
/// client, a public client, and the Keybound Mail resource (`api://mail`) with its server client;
/// and the console's people: the operator issuer with its operator `root`, and the tenant's own
/// admin, each signing in through the console's client (``ConsoleResource/clientID``) of their issuer.
@_spi(Plumbing) public enum DevelopmentBootstrap {
    /// The consumer realm's id.
    public static let consumerIssuerID = "consumers"
    /// The enterprise tenant's id.
    public static let tenantIssuerID = "contoso"
    /// The enterprise tenant's tenant id (`tid`).
    public static let tenantID = "6f2c3b1e-8a4d-4c2f-9a51-0d7e2b9c4a11"
    /// Keybound Mail's audience.
    public static let mailAudience = "api://mail"
    /// The operator issuer's id: the issuer of the people who operate this Keybound.
    public static let operatorIssuerID = "operator"
    /// Redirect URIs the development clients accept (loopback only).
    public static let redirectURIs = ["http://127.0.0.1:8400/callback", "http://localhost:3000/callback"]

    /// A protected resource besides Keybound Mail to register at each development issuer: its
    /// delegated scopes everywhere, its tenant-wide roles (granted to the daemon client) only in
    /// an enterprise tenant.
    public struct Resource: Sendable {
        /// The `aud` of its tokens.
        public let audience: String
        /// Its delegated scopes.
        public let scopes: [String]
        /// Its application roles, for enterprise tenants.
        public let tenantRoles: [String]

        /// A resource.
        public init(audience: String, scopes: [String], tenantRoles: [String]) {
            self.audience = audience
            self.scopes = scopes
            self.tenantRoles = tenantRoles
        }
    }

    /// What was created for one issuer, with the only copy of its secrets.
    public struct Credentials: Sendable {
        /// The issuer.
        public let issuer: IssuerRecord
        /// The test user's sign-in name and password.
        public let username: String, password: String
        /// The confidential client (`client_secret_basic`) and its secret.
        public let confidentialClientID: String, clientSecret: String
        /// The public client (PKCE, no secret).
        public let publicClientID: String
        /// Keybound Mail's own server client (`client_secret_basic`) and its secret: it serves
        /// `api://mail` (introspection, `/<issuer>/token-events`).
        public let mailServerClientID: String, mailServerSecret: String
    }

    /// A console user the bootstrap created, with the only copy of their password.
    public struct ConsoleUser: Sendable {
        /// The user's issuer: the operator issuer, or a tenant.
        public let issuer: IssuerRecord
        /// The sign-in name and password.
        public let username: String, password: String
        /// The console role the user holds (``ConsoleResource``).
        public let role: String
    }

    /// What the bootstrap created.
    public struct Created: Sendable {
        /// The consumer realm and the tenant, with their users and clients.
        public let issuers: [Credentials]
        /// The console's people: the operator `root`, and the tenant's own admin.
        public let consoleUsers: [ConsoleUser]
        /// Whether anything was created (the store had no issuer).
        public var isEmpty: Bool { issuers.isEmpty && consoleUsers.isEmpty }
    }

    /// The console's sign-in callback, the redirect URI of its client at each issuer.
    public static func consoleRedirectURI(_ configuration: ServerConfiguration) -> String {
        "\(configuration.consoleBaseURL)/console/callback"
    }

    /// Creates the issuers and their users and clients if the store has no issuer at all, with
    /// Keybound Mail and `resources` registered at the consumer realm and the tenant.
    @discardableResult
    public static func run(context: ProviderContext, now: Date, resources: [Resource] = []) async throws(StoreError) -> Created {
        guard try await context.manager.issuers().isEmpty else { return Created(issuers: [], consoleUsers: []) }
        let configuration = context.configuration
        let issuers = [
            IssuerRecord(id: consumerIssuerID, url: configuration.issuerURL(consumerIssuerID), kind: .consumer,
                         algorithm: .es256, createdAt: now),
            IssuerRecord(id: tenantIssuerID, url: configuration.issuerURL(tenantIssuerID), kind: .tenant,
                         tenantID: tenantID, algorithm: .es256, createdAt: now),
        ]
        var created: [Credentials] = []
        for issuer in issuers {
            try await context.manager.createIssuer(issuer, actor: "bootstrap")
            created.append(try await populate(try await context.manager.issuer(id: issuer.id), context: context, now: now, resources: resources))
        }
        try await context.manager.createIssuer(
            IssuerRecord(id: operatorIssuerID, url: configuration.issuerURL(operatorIssuerID), kind: .operator,
                         algorithm: .es256, createdAt: now), actor: "bootstrap")
        var consoleUsers: [ConsoleUser] = []
        for (issuerID, username) in [(operatorIssuerID, "root"), (tenantIssuerID, "admin")] {
            consoleUsers.append(try await addConsoleUser(username, to: try await context.manager.issuer(id: issuerID), context: context, now: now))
        }
        context.keys.invalidate()
        return Created(issuers: created, consoleUsers: consoleUsers)
    }

    /// Registers the console's client at `issuer` (if it has none) and a user holding the
    /// issuer's console role.
    public static func addConsoleUser(_ username: String, to issuer: IssuerRecord, context: ProviderContext,
                                      now: Date) async throws(StoreError) -> ConsoleUser {
        guard let role = ConsoleResource.role(of: issuer) else {
            throw StoreError(.invalidUser, "issuer '\(issuer.id)' is a consumer realm; it has no console role")
        }
        let store = context.store
        if try await store.client(issuerID: issuer.id, clientID: ConsoleResource.clientID) == nil {
            try await store.insert(ClientRecord(
                issuerID: issuer.id, clientID: ConsoleResource.clientID, name: "Keybound console", authenticationMethod: .none,
                redirectURIs: [consoleRedirectURI(context.configuration)], grantTypes: ["authorization_code", "refresh_token"],
                createdAt: now))
        }
        let password = Secrets.random256().prefix(20).description
        try await store.insert(UserRecord(
            issuerID: issuer.id, subject: Secrets.uuid(), username: username,
            passwordHash: PasswordHasher.hash(password, cost: context.configuration.passwordHashCost),
            displayName: username.capitalized, email: "\(username)@\(issuer.id).example", createdAt: now,
            roles: ["\(ConsoleResource.audience)/\(role)"]))
        return ConsoleUser(issuer: issuer, username: username, password: password, role: role)
    }

    /// Keybound Mail as a resource of `issuer`: delegated scopes everywhere; the tenant-wide roles
    /// (every mailbox, the tenant's audit feed) only in an enterprise tenant, since a consumer
    /// realm has no tenant.
    /// `serverClients` are the confidential clients of `issuer` that serve it (introspection,
    /// `/<issuer>/token-events`).
    public static func mailResource(for issuer: IssuerRecord, serverClients: [String] = []) -> ResourceRecord {
        ResourceRecord(issuerID: issuer.id, audience: mailAudience, scopes: ["Mail.Read", "Mail.Send"],
                       roles: issuer.kind == .tenant ? ["Mail.Read.All", "AuditLog.Read.All"] : [],
                       serverClients: serverClients)
    }

    /// Registers Keybound Mail and `resources`, a test user and two clients at `issuer`.
    public static func populate(_ issuer: IssuerRecord, context: ProviderContext, now: Date,
                                resources: [Resource] = []) async throws(StoreError) -> Credentials {
        let store = context.store
        let mailSecret = Secrets.random256(prefix: "kbs_")
        let mailClientID = "\(issuer.id)-mail"
        try await store.insert(ClientRecord(
            issuerID: issuer.id, clientID: mailClientID, name: "Keybound Mail (resource server)", authenticationMethod: .clientSecretBasic,
            secretHash: Secrets.hexDigest(mailSecret), grantTypes: [], createdAt: now))
        try await store.upsert(mailResource(for: issuer, serverClients: [mailClientID]))
        for resource in resources {
            try await store.upsert(ResourceRecord(issuerID: issuer.id, audience: resource.audience, scopes: resource.scopes,
                                                  roles: issuer.kind == .tenant ? resource.tenantRoles : []))
        }
        let resourceRoles = resources.flatMap { resource in resource.tenantRoles.map { "\(resource.audience)/\($0)" } }
        let username = issuer.kind == .consumer ? "alice" : "adele"
        let password = Secrets.random256().prefix(20).description
        try await store.insert(UserRecord(
            issuerID: issuer.id, subject: Secrets.uuid(), username: username,
            passwordHash: PasswordHasher.hash(password, cost: context.configuration.passwordHashCost),
            displayName: username.capitalized, email: "\(username)@\(issuer.id).example", createdAt: now))
        let secret = Secrets.random256(prefix: "kbs_")
        try await store.insert(ClientRecord(
            issuerID: issuer.id, clientID: "\(issuer.id)-daemon", name: "\(issuer.id.capitalized) mail daemon",
            authenticationMethod: .clientSecretBasic, secretHash: Secrets.hexDigest(secret), redirectURIs: redirectURIs,
            grantTypes: ClientRecord.supportedGrantTypes,
            // A consumer realm has no tenant-wide roles (a consumer app reads no one else's mail).
            roles: issuer.kind == .tenant ? ["\(mailAudience)/Mail.Read.All"] + resourceRoles : [], createdAt: now))
        try await store.insert(ClientRecord(
            issuerID: issuer.id, clientID: "\(issuer.id)-web", name: "\(issuer.id.capitalized) web mail",
            authenticationMethod: .none, redirectURIs: redirectURIs, grantTypes: ["authorization_code", "refresh_token"],
            createdAt: now))
        return Credentials(issuer: issuer, username: username, password: password,
                           confidentialClientID: "\(issuer.id)-daemon", clientSecret: secret, publicClientID: "\(issuer.id)-web",
                           mailServerClientID: mailClientID, mailServerSecret: mailSecret)
    }
}
