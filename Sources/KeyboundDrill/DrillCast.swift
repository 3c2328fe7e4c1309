import Foundation
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore

/// Which Keybound Mail front end a request goes to.
enum FrontEnd: String, Sendable, CaseIterable {
    /// Keybound Mail inside the provider's process (`keybound serve --with-mail`): the provider's own
    /// trust and the issuance-ledger check.
    case keyboundMail = "keybound_mail"
    /// A second front end run like `keybound mail serve`: keys from the issuers' JWKS and the
    /// key-event push channel, and each issuer's issuance feed, followed as its server client.
    case edge = "mail_edge"
    /// A third, run like `keybound mail serve --unsafe-skip-issuance-check` for every issuer: a
    /// validator that predates the issuance feed, and cannot tell a forgery from an issued token.
    case legacy = "legacy_validator"

    var title: String {
        switch self {
        case .keyboundMail: "Keybound Mail"
        case .edge: "Mail edge"
        case .legacy: "Legacy validator"
        }
    }
}

/// One person with a mailbox.
struct DrillUser: Sendable {
    let username: String
    let displayName: String
    let email: String
    let subject: String
    let password: String
    /// The attacker's target in this organisation.
    let isTarget: Bool
}

/// One organisation: an issuer with its users, a web mail client and, in an enterprise tenant, a
/// mail daemon.
struct DrillTenant: Sendable {
    let id: String
    let kind: IssuerRecord.Kind
    /// The `tid` its tokens carry.
    let tenantID: String
    let url: String
    let users: [DrillUser]
    /// The mail daemon's client secret, or `nil` when the organisation has no daemon: a consumer
    /// realm has no tenant-wide roles, so no application of its own reads its people's mail (the
    /// provider grants it no `client_credentials` token).
    let daemonSecret: String?
    /// Where its people and applications read mail.
    let frontEnd: FrontEnd

    var daemonID: String { "\(id)-daemon" }
    var webClientID: String { "\(id)-web" }
    var isEnterprise: Bool { kind == .tenant }
    var target: DrillUser { users.first { $0.isTarget } ?? users[0] }
}

/// The people of the drill. Three separate identity systems, like MSA and two Azure AD tenants:
/// the consumer realm (read through the mail edge, like a consumer webmail), and two enterprises
/// whose executives the attacker is after.
enum DrillCast {
    static let consumers = "consumers"
    static let contoso = "contoso"
    static let fabrikam = "fabrikam"
    static let fabrikamTenantID = "4b7e2d90-3c1a-4f6e-8d25-7a9c0e1b5f34"
    /// A new application contoso registers on the last ordinary day.
    static let newApplication = "contoso-archiver"

    static func tenants(configuration: ServerConfiguration, consumerTenantID: String) -> [DrillTenant] {
        func user(_ name: String, _ display: String, _ issuer: String, target: Bool = false) -> DrillUser {
            DrillUser(username: name, displayName: display, email: "\(name)@\(issuer).example", subject: Secrets.uuid(),
                      password: Secrets.random256().prefix(24).description, isTarget: target)
        }
        return [
            DrillTenant(id: consumers, kind: .consumer, tenantID: consumerTenantID, url: configuration.issuerURL(consumers),
                        users: [user("alice", "Alice Martin", consumers, target: true), user("bob", "Bob Kelly", consumers),
                                user("chloe", "Chloe Dubois", consumers)],
                        daemonSecret: nil, frontEnd: .edge),
            DrillTenant(id: contoso, kind: .tenant, tenantID: DevelopmentBootstrap.tenantID, url: configuration.issuerURL(contoso),
                        users: [user("adele", "Adele Vance", contoso), user("megan", "Megan Bowen", contoso),
                                user("diego", "Diego Siciliani (CEO)", contoso, target: true)],
                        daemonSecret: Secrets.random256(prefix: "kbs_"), frontEnd: .keyboundMail),
            DrillTenant(id: fabrikam, kind: .tenant, tenantID: fabrikamTenantID, url: configuration.issuerURL(fabrikam),
                        users: [user("lee", "Lee Gu", fabrikam), user("alex", "Alex Wilber", fabrikam),
                                user("nestor", "Nestor Wilke (CFO)", fabrikam, target: true)],
                        daemonSecret: Secrets.random256(prefix: "kbs_"), frontEnd: .keyboundMail),
        ]
    }

    /// The mail edge's server client at every issuer (it follows the issuance feeds).
    static let edgeClientID = "mail-edge"

    /// Creates the issuers (each with its first key, active at once), Keybound Mail's resource
    /// (with the mail edge's server client, whose secret is `edgeSecret`), the users, the web mail
    /// client of every organisation and the daemon of every enterprise, through the provider's own stores.
    static func register(_ tenants: [DrillTenant], context: ProviderContext, edgeSecret: String, custody: KeyCustody,
                         now: Date) async throws(StoreError) {
        let cost = context.configuration.passwordHashCost
        let audience = DevelopmentBootstrap.mailAudience
        for tenant in tenants {
            try await context.manager.createIssuer(IssuerRecord(id: tenant.id, url: tenant.url, kind: tenant.kind,
                                                          tenantID: tenant.isEnterprise ? tenant.tenantID : nil,
                                                          algorithm: .es256, createdAt: now, custody: custody), actor: "drill")
            guard try await context.manager.issuer(id: tenant.id).tenantID?.isExactly(tenant.tenantID) == true else {
                throw StoreError(.invalidIssuer, "issuer '\(tenant.id)' did not get the tenant id '\(tenant.tenantID)' the drill expects")
            }
            let store = context.store
            try await store.insert(ClientRecord(issuerID: tenant.id, clientID: edgeClientID, name: "the mail edge",
                                                authenticationMethod: .clientSecretBasic, secretHash: Secrets.hexDigest(edgeSecret),
                                                grantTypes: [], createdAt: now))
            try await store.upsert(DevelopmentBootstrap.mailResource(for: try await context.manager.issuer(id: tenant.id),
                                                                     serverClients: [edgeClientID]))
            for user in tenant.users {
                try await store.insert(UserRecord(issuerID: tenant.id, subject: user.subject, username: user.username,
                                            passwordHash: PasswordHasher.hash(user.password, cost: cost), displayName: user.displayName,
                                            email: user.email, createdAt: now))
            }
            if let daemonSecret = tenant.daemonSecret {
                try await store.insert(ClientRecord(issuerID: tenant.id, clientID: tenant.daemonID, name: "\(tenant.id) mail daemon",
                                              authenticationMethod: .clientSecretBasic, secretHash: Secrets.hexDigest(daemonSecret),
                                              grantTypes: ["client_credentials"], roles: ["\(audience)/Mail.Read.All"], createdAt: now))
            }
            try await store.insert(ClientRecord(issuerID: tenant.id, clientID: tenant.webClientID, name: "\(tenant.id) web mail",
                                          authenticationMethod: .none, redirectURIs: [DrillOAuth.redirectURI],
                                          grantTypes: ["authorization_code", "refresh_token"], createdAt: now))
        }
        context.keys.invalidate()
    }

    /// Registers the new application (a compliance archiver, role Mail.Read.All) at `tenant`; returns its secret.
    static func registerNewApplication(at tenant: DrillTenant, context: ProviderContext, now: Date) async throws(StoreError) -> String {
        let secret = Secrets.random256(prefix: "kbs_")
        try await context.store.insert(ClientRecord(issuerID: tenant.id, clientID: newApplication, name: "Contoso mail archiver",
                                              authenticationMethod: .clientSecretBasic, secretHash: Secrets.hexDigest(secret),
                                              grantTypes: ["client_credentials"],
                                              roles: ["\(DevelopmentBootstrap.mailAudience)/Mail.Read.All"], createdAt: now))
        return secret
    }
}
