import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundMail
import KeyboundServer
import KeyboundStore
import Testing

/// A tenant is (issuer, tid). A stolen *consumer* key, signing tokens of its own issuer that name
/// an enterprise tenant's `tid`, reads nothing of that tenant: not its audit feed, not its
/// mailboxes, and it cannot create (squat) a mailbox in it. A consumer realm has no tenant-wide
/// roles, so a consumer token carrying one is refused whatever its signature. Each refusal is
/// audited with its code, and none enters the enterprise tenant's feed.
@Suite("Keybound Mail: the tenant is bound to its issuer")
struct MailTenantBoundaryTests {
    /// A token of the consumer realm, signed with its real (stolen) key, that names contoso's tid.
    static func forgedEnterpriseTenant(_ fixture: MailFixture, _ extra: [String: JSONValue]) async throws -> String {
        let stolen = try await fixture.context.manager.signingKey(issuerID: "consumers")
        return try fixture.forge(with: stolen, issuer: fixture.issuerURL("consumers"), tenant: MailFixture.contosoTenant, extra: extra)
    }

    static let auditReader: [String: JSONValue] = ["roles": .array([.string("AuditLog.Read.All")]), "idtyp": .string("app")]
    static let mailReader: [String: JSONValue] = ["roles": .array([.string("Mail.Read.All")]), "idtyp": .string("app")]
    static let person: [String: JSONValue] = ["scope": .string("Mail.Read Mail.Send"), "sub": .string("squatter")]

    /// Contoso's own feed, read by its auditor.
    static func contosoFeed(_ provider: some TestClientProtocol, _ mail: some TestClientProtocol) async throws -> [JSONObject] {
        let auditor = try await MailFixture.appToken(provider, issuer: "contoso", clientID: "auditor")
        let page = try await MailFixture.get(mail, "/audit/records?limit=1000", token: auditor)
        #expect(page.status == .ok)
        return try ProviderFixture.json(page)["records"]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    @Test("A consumer-key token naming contoso's tid reads no audit record of contoso: tenant_mismatch, audited unverified",
          arguments: [true, false])
    func forgedTenantAuditRead(ledgerCheck: Bool) async throws {
        let fixture = try await MailFixture(ledgerCheck: ledgerCheck)
        defer { fixture.remove() }
        let token = try await Self.forgedEnterpriseTenant(fixture, Self.auditReader)
        try await fixture.withClients { provider, mail in
            // Something for the feed to hold: contoso's daemon reads a mailbox.
            let daemon = try await MailFixture.appToken(provider, issuer: "contoso")
            #expect(try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: daemon).status == .ok)
            let response = try await MailFixture.get(mail, "/audit/records?limit=1000", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("tenant_mismatch") == true)
            #expect(!String(buffer: response.body).contains(MailFixture.otherUserAddress))
            let refusal = try fixture.lastAudit()
            #expect(refusal.rejectionCode == "tenant_mismatch" && refusal.operation == "audit.read")
            #expect(refusal.attribution == .unverified && refusal.tokenIssuer == fixture.issuerURL("consumers"))
            // Contoso's feed has its daemon's read, and not the forged attempt made in its name.
            let feed = try await Self.contosoFeed(provider, mail)
            #expect(feed.contains { $0["resource"]?.stringValue == MailFixture.otherUserAddress })
            #expect(!feed.contains { $0["token_iss"]?.stringValue == fixture.issuerURL("consumers") })
        }
    }

    @Test("A consumer-key token naming contoso's tid creates no mailbox in contoso (no squatting): tenant_mismatch",
          arguments: [true, false])
    func mailboxSquat(ledgerCheck: Bool) async throws {
        let fixture = try await MailFixture(ledgerCheck: ledgerCheck)
        defer { fixture.remove() }
        let token = try await Self.forgedEnterpriseTenant(fixture, Self.person)
        let before = try await fixture.mail.store.allMailboxes()
        try await fixture.withClients { _, mail in
            for uri in ["/me/messages", "/users/squatter@\(MailFixture.contosoTenant)/messages"] {
                let response = try await MailFixture.get(mail, uri, token: token)
                #expect(response.status == .unauthorized, "\(uri)")
                #expect(response.headers[.wwwAuthenticate]?.contains("tenant_mismatch") == true, "\(uri)")
                #expect(try fixture.lastAudit().rejectionCode == "tenant_mismatch")
            }
        }
        #expect(try await fixture.mail.store.allMailboxes() == before, "no mailbox was provisioned")
        #expect(try await fixture.mail.store.mailbox(issuer: fixture.issuerURL("consumers"), subject: "squatter") == nil)
    }

    @Test("A consumer-realm token with a tenant-wide role and its own tid, validly signed, is refused 403 consumer_realm_role, audited")
    func consumerRealmRole() async throws {
        // Without the ledger (as a remote validator runs) the forgery reaches the role rule.
        let fixture = try await MailFixture(ledgerCheck: false)
        defer { fixture.remove() }
        let stolen = try await fixture.context.manager.signingKey(issuerID: "consumers")
        let consumerTID = try await #require(try fixture.context.manager.issuer(id: "consumers").tenantID)
        for extra in [Self.mailReader, Self.auditReader] {
            let token = try fixture.forge(with: stolen, issuer: fixture.issuerURL("consumers"), tenant: consumerTID, extra: extra)
            try await fixture.withClients { _, mail in
                for uri in ["/users/user@consumers.example/messages", "/audit/records"] {
                    let response = try await MailFixture.get(mail, uri, token: token)
                    #expect(response.status == .forbidden, "\(uri)")
                    #expect(String(buffer: response.body).contains("consumer_realm_role"), "\(uri)")
                    let record = try fixture.lastAudit()
                    #expect(record.rejectionCode == "consumer_realm_role" && record.verdict == .denied)
                    #expect(record.attribution == .verified && record.tenantIssuer == fixture.issuerURL("consumers"))
                    #expect(record.tenant == consumerTID)
                }
            }
        }
    }

    @Test("Inside the provider the ledger refuses the same forgery first: token_not_issued, still never served")
    func consumerRealmRoleWithLedger() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let stolen = try await fixture.context.manager.signingKey(issuerID: "consumers")
        let consumerTID = try await #require(try fixture.context.manager.issuer(id: "consumers").tenantID)
        let token = try fixture.forge(with: stolen, issuer: fixture.issuerURL("consumers"), tenant: consumerTID, extra: Self.mailReader)
        try await fixture.withClients { _, mail in
            let response = try await MailFixture.get(mail, "/users/user@consumers.example/messages", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("token_not_issued") == true)
        }
    }

    @Test("The consumer realm's own users still read their own mail, and their records name the consumer tenant")
    func consumerUsersUnaffected() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.userToken(provider, issuer: "consumers")
            #expect(try await MailFixture.get(mail, "/me/messages", token: token).status == .ok)
        }
        let record = try fixture.lastAudit()
        #expect(record.verdict == .allowed && record.attribution == .verified)
        #expect(record.tenantIssuer == fixture.issuerURL("consumers"))
        await #expect(record.tenant == (try fixture.context.manager.issuer(id: "consumers").tenantID))
    }
}
