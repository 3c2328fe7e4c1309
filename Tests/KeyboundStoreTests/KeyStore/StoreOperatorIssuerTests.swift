import Foundation
import GRDB
import Keybound
@testable import KeyboundStore
import Testing

/// The operator issuer kind and users' roles (the console's identities), on both backends, and
/// the SQLite migration that rebuilds the issuer table to admit the new kind.
@Suite("Key store: the operator issuer and user roles")
struct StoreOperatorIssuerTests {
    static func operatorIssuer(_ id: String = "operators") -> IssuerRecord {
        var issuer = StoreIssuers.consumer(id)
        issuer.kind = .operator
        return issuer
    }

    @Test("one operator issuer per store, with a generated tenant id of its own; a second is refused", arguments: StoreBackend.allCases)
    func oneOperatorIssuer(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        try await manager.createIssuer(Self.operatorIssuer())
        let stored = try await manager.issuer(id: "operators")
        #expect(stored.kind == .operator)
        let tenantID = try #require(stored.tenantID)
        #expect(!tenantID.isExactly(IssuerRecord.wellKnownConsumerTenantID))
        #expect(UUID(uuidString: tenantID) != nil)
        #expect(stored.tenancy == .tenant(tenantID))
        // A reopened store reads the kind back.
        #expect(try await fixture.open().issuer(id: "operators").kind == .operator)

        let second = await #expect(throws: StoreError.self) { try await manager.createIssuer(Self.operatorIssuer("staff")) }
        #expect(second?.code == .issuerExists)
        #expect(second?.message.contains("'operators' is already this store's operator issuer") == true)
        var configured = Self.operatorIssuer("staff")
        configured.tenantID = "chosen-tid"
        let withTenant = await #expect(throws: StoreError.self) { try await manager.createIssuer(configured) }
        #expect(withTenant?.code == .invalidIssuer)
        #expect(try await manager.issuers().map(\.id) == ["consumers", "operators"])
    }

    @Test("the database itself holds one operator issuer and never changes an issuer's kind", arguments: StoreBackend.allCases)
    func databaseRefusesSecondOperator(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [Self.operatorIssuer(), StoreIssuers.tenant()])
        defer { fixture.remove() }
        func insert(_ id: String, kind: String) async throws {
            try await fixture.executeRaw("""
                INSERT INTO issuer (id, url, kind, tenant_id, algorithm, rotation_period, publish_lead_time, maximum_token_lifetime,
                                    maximum_key_age, created_at) VALUES ('\(id)', 'https://x.test/\(id)', '\(kind)', '\(id)-tid', 'ES256', 172800, 21600, 3600, 518400, 0)
                """)
        }
        // The same statement stores a tenant, so it is the kind the database refuses.
        try await insert("staff", kind: "tenant")
        await #expect(throws: (any Error).self) { try await insert("staff2", kind: "operator") }
        await #expect(throws: (any Error).self) { try await insert("staff3", kind: "superuser") }
        await #expect(throws: (any Error).self) { try await fixture.executeRaw("UPDATE issuer SET kind = 'operator' WHERE id = 'contoso'") }
        await #expect(throws: (any Error).self) { try await fixture.executeRaw("UPDATE issuer SET kind = 'tenant' WHERE id = 'operators'") }
        #expect(try await fixture.open().issuer(id: "contoso").kind == .tenant)
    }

    @Test("'console' is reserved: it is the console's route")
    func consoleIDReserved() {
        let error = #expect(throws: StoreError.self) { try Self.operatorIssuer("console").validate() }
        #expect(error?.message.contains("reserved") == true)
    }

    @Test("SQLite: v6 rebuilds the issuer table with every row, index, trigger and key reference of v5")
    func sqliteMigrationKeepsEverything() async throws {
        let fixture = try await StoreFixture.beforePurposes(kek: .generate())
        defer { fixture.remove() }
        let before = try await fixture.open()
        let issuers = try await before.issuers()
        let keys = try await before.keys()
        #expect(issuers.map(\.id) == ["consumers", "contoso"])
        #expect(issuers.map(\.kind) == [.consumer, .tenant])
        #expect(issuers.last?.tenantID == StoreIssuers.tenant().tenantID)
        #expect(keys.count >= 2)
        // Every migration ran, v6 last.
        let queue = try DatabaseQueue(path: fixture.databaseFile.path)
        let applied = try await queue.read { db in try SQLiteKeyStore.migrator.appliedIdentifiers(db) }
        #expect(applied.contains("v6: the operator issuer kind, one per store"))
        try await queue.read { db in
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'issuer'") ?? ""
            #expect(sql.contains("'operator'"))
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'issuer'"))
            #expect(triggers == ["issuer_needs_tenant_id", "issuer_tenant_id_fixed", "issuer_no_delete", "issuer_custody_fixed", "issuer_kind_fixed"])
            let indexes = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'issuer' AND sql IS NOT NULL"))
            #expect(indexes == ["issuer_tenant_id", "one_operator_issuer"])
        }
        // The rows read back as they were; the old triggers still refuse.
        let after = try await fixture.open()
        #expect(try await after.issuers() == issuers)
        #expect(try await after.keys().map(\.keyID) == keys.map(\.keyID))
        await #expect(throws: (any Error).self) { try await fixture.executeRaw("DELETE FROM issuer WHERE id = 'consumers'") }
        await #expect(throws: (any Error).self) { try await fixture.executeRaw("UPDATE issuer SET tenant_id = 'other' WHERE id = 'contoso'") }
        await #expect(throws: (any Error).self) {
            try await fixture.executeRaw("INSERT INTO signing_key (issuer_id, kid, algorithm, state, public_jwk, sealed_private_key, kek_fingerprint, created_at) VALUES ('nobody', 'k', 'ES256', 'pending', '{}', x'00', 'f', 0)")
        }
        try await after.createIssuer(Self.operatorIssuer())
        #expect(try await after.issuer(id: "operators").kind == .operator)
    }
}

/// Users' roles: stored as given on both backends, and granted only by ``UserRoles``' rule.
@Suite("Provider store: user roles")
struct StoreUserRolesTests {
    static let console = ConsoleResource.audience

    @Test("a user's roles are stored, replaced and read back exactly", arguments: StoreBackend.allCases)
    func rolesRoundTrip(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.tenant()])
        defer { fixture.remove() }
        let store = try fixture.openProviderStore()
        var user = UserRecord(issuerID: "contoso", subject: "s-1", username: "ada", passwordHash: "x", displayName: "Ada", email: nil,
                              createdAt: StoreClock.origin, roles: ["\(Self.console)/Console.TenantAdmin"])
        try await store.insert(user)
        #expect(try await store.user(issuerID: "contoso", subject: "s-1")?.roles == ["\(Self.console)/Console.TenantAdmin"])
        user.roles = []
        try await store.update(user)
        #expect(try await fixture.openProviderStore().user(issuerID: "contoso", username: "ada")?.roles == [])
        let plain = UserRecord(issuerID: "contoso", subject: "s-2", username: "bob", passwordHash: "x", displayName: "Bob", email: nil,
                               createdAt: StoreClock.origin)
        try await store.insert(plain)
        #expect(try await store.user(issuerID: "contoso", subject: "s-2")?.roles == [])
    }

    @Test("console roles exist each in its own kind of issuer; a consumer realm's users hold none")
    func consoleRolesByKind() throws {
        let operators = StoreOperatorIssuerTests.operatorIssuer()
        let tenant = StoreIssuers.tenant()
        let consumer = StoreIssuers.consumer()
        let mail = ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read"], roles: ["Mail.Read.All"])
        try UserRoles.check(["\(Self.console)/Console.Operator"], issuer: operators, resources: [])
        try UserRoles.check(["\(Self.console)/Console.TenantAdmin", "api://mail/Mail.Read.All"], issuer: tenant, resources: [mail])
        let refusals: [([String], IssuerRecord, [ResourceRecord])] = [
            (["\(Self.console)/Console.Operator"], tenant, [mail]),
            (["\(Self.console)/Console.TenantAdmin"], operators, []),
            (["\(Self.console)/Console.TenantAdmin"], consumer, []),
            (["\(Self.console)/Console.Operator"], consumer, []),
            (["Console.TenantAdmin"], tenant, []),
            (["\(Self.console)/console.tenantadmin"], tenant, []),
            (["\(Self.console)/Console.Tenant\u{0041}dmin\u{301}"], tenant, []),
            (["api://mail/Mail.Read.All"], operators, [mail]),
            (["api://mail/Mail.Read.All"], tenant, [ResourceRecord(issuerID: "fabrikam", audience: "api://mail", scopes: [], roles: ["Mail.Read.All"])]),
            (["\(Self.console)/Console.TenantAdmin", "\(Self.console)/Console.TenantAdmin"], tenant, []),
        ]
        for (roles, issuer, resources) in refusals {
            let error = #expect(throws: StoreError.self, "\(roles) at \(issuer.id)") { try UserRoles.check(roles, issuer: issuer, resources: resources) }
            #expect(error?.code == .invalidUser)
        }
    }

    @Test("the console's audience cannot be registered as a resource")
    func consoleAudienceReserved() {
        let error = #expect(throws: StoreError.self) {
            try ProviderRecordRules.validate(ResourceRecord(issuerID: "contoso", audience: Self.console, scopes: ["Console.Access"], roles: []))
        }
        #expect(error?.code == .invalidResource)
    }
}
