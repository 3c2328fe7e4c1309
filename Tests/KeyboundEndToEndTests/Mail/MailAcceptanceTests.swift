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

/// Issue 5's acceptance list: every attack below is refused with its code, and each refusal is in
/// the audit log with that code and the token's fields (as far as the token shows them).
@Suite("Keybound Mail: attacks are refused and audited")
struct MailAcceptanceTests {
    @Test("A token from an issuer Keybound Mail does not trust is refused: untrusted_issuer")
    func untrustedIssuer() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let outsider = try SigningKey.generate(algorithm: .es256, issuer: "https://evil.example", keyID: "evil-1")
        let token = try fixture.forge(with: outsider, issuer: "https://evil.example", tenant: MailFixture.contosoTenant)
        try await fixture.withClients { _, mail in
            let response = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("untrusted_issuer") == true)
        }
        let record = try fixture.lastAudit()
        #expect(record.verdict == .denied)
        #expect(record.rejectionCode == "untrusted_issuer")
        #expect(record.tokenIssuer == "https://evil.example")
        #expect(record.tokenKeyID == "evil-1")
        #expect(record.resource == MailFixture.otherUserAddress)
        #expect(record.userAgent == "keybound-tests")
    }

    @Test("The consumer issuer's real key signing a contoso token (Storm-0558) is refused: issuer_key_mismatch")
    func crossIssuerForgery() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let stolen = try await fixture.context.manager.signingKey(issuerID: "consumers")
        let token = try fixture.forge(with: stolen, issuer: fixture.issuerURL("contoso"), tenant: MailFixture.contosoTenant)
        try await fixture.withClients { _, mail in
            let response = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("issuer_key_mismatch") == true)
        }
        let record = try fixture.lastAudit()
        #expect(record.verdict == .denied)
        #expect(record.rejectionCode == "issuer_key_mismatch")
        #expect(record.tokenIssuer == fixture.issuerURL("contoso"))
        #expect(record.tokenKeyID == stolen.keyID)
        #expect(record.tenant == MailFixture.contosoTenant)
        #expect(record.attribution == .unverified, "a refused token's claimed tenant is not a fact")
        #expect(record.clientID == "attacker-app")
        #expect(record.claimsDigest?.count == 64)
        // And it raised an alert naming the key's real issuer and the mailbox aimed at.
        let alert = try #require(fixture.context.alerts.alerts().last)
        #expect(alert.code == "issuer_key_mismatch")
        #expect(alert.keyID == stolen.keyID)
        #expect(alert.keyIssuer == fixture.issuerURL("consumers"))
        #expect(alert.mailbox == MailFixture.otherUserAddress)
        #expect(alert.tenant == MailFixture.contosoTenant)
    }

    @Test("A token of a key revoked after it was cached is refused at once: key_revoked")
    func revokedKey() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let context = fixture.context
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.appToken(provider, issuer: "contoso")
            let uri = "/users/\(MailFixture.otherUserAddress)/messages"
            #expect(try await MailFixture.get(mail, uri, token: token).status == .ok)
            #expect(try await MailFixture.get(mail, uri, token: token).status == .ok)
            #expect(fixture.mail.cache?.identity(for: token, now: Date()) != nil, "the second request was answered from the cache")
            let kid = try #require(TokenInspection(token: token, now: Date()).header?["kid"]?.stringValue)
            _ = try await context.manager.revoke(issuerID: "contoso", keyID: kid, reason: "test", actor: "test", now: Date())
            let refused = try await MailFixture.get(mail, uri, token: token)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate]?.contains("key_revoked") == true)
            let record = try fixture.lastAudit()
            #expect(record.rejectionCode == "key_revoked")
            #expect(record.tokenKeyID == kid)
        }
    }

    @Test("A real contoso token for another audience is refused: audience_mismatch")
    func wrongAudience() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let key = try await fixture.context.manager.signingKey(issuerID: "contoso")
        let token = try fixture.forge(with: key, issuer: fixture.issuerURL("contoso"), tenant: MailFixture.contosoTenant,
                                      audience: "api://payroll")
        try await fixture.withClients { _, mail in
            let response = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("audience_mismatch") == true)
        }
        let record = try fixture.lastAudit()
        #expect(record.rejectionCode == "audience_mismatch")
        #expect(record.tokenAudience == ["api://payroll"])
    }

    @Test("A delegated token cannot read another user's mailbox or message: mailbox_not_owned, message_not_owned")
    func delegatedOtherMailbox() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let megan = try await #require(try await fixture.mail.store.mailbox(address: MailFixture.otherUserAddress))
        let meganMessage = try await #require(try await fixture.mail.store.messages(in: megan, limit: 1).first)
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.userToken(provider, issuer: "contoso")
            let own = try await MailFixture.get(mail, "/users/user@contoso.example/messages", token: token)
            #expect(own.status == .ok, "the owner may use /users/{self}")
            let other = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: token)
            #expect(other.status == .forbidden)
            #expect(try ProviderFixture.json(other)["keybound_code"]?.stringValue == "mailbox_not_owned")
            var record = try fixture.lastAudit()
            #expect(record.verdict == .denied)
            #expect(record.rejectionCode == "mailbox_not_owned")
            #expect(record.resource == MailFixture.otherUserAddress)
            #expect(record.tokenSubject == "contoso-user-subject")

            let message = try await MailFixture.get(mail, "/me/messages/\(meganMessage.id)", token: token)
            #expect(message.status == .notFound, "another mailbox's message looks like a missing one")
            record = try fixture.lastAudit()
            #expect(record.rejectionCode == "message_not_owned")
            #expect(record.itemIDs == [meganMessage.id])
        }
    }

    @Test("An application token of one tenant cannot read another tenant's mailbox: cross_tenant")
    func crossTenantApplication() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.appToken(provider, issuer: "contoso")
            let response = try await MailFixture.get(mail, "/users/user@consumers.example/messages", token: token)
            #expect(response.status == .forbidden)
            #expect(try ProviderFixture.json(response)["keybound_code"]?.stringValue == "cross_tenant")
        }
        let record = try fixture.lastAudit()
        #expect(record.verdict == .denied)
        #expect(record.rejectionCode == "cross_tenant")
        #expect(record.resource == "user@consumers.example")
        #expect(record.clientID == "daemon")
        #expect(record.tokenRoles == ["Mail.Read.All"])
    }

    @Test("Every attempt, allowed or denied, is one record, and the log verifies intact")
    func everyAttemptRecorded() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let app = try await MailFixture.appToken(provider, issuer: "contoso")
            _ = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: app)
            _ = try await MailFixture.get(mail, "/me/messages", token: app)
            _ = try await MailFixture.get(mail, "/me/messages", token: nil)
            _ = try await MailFixture.get(mail, "/me/messages", token: "not-a-token")
        }
        let records = try await fixture.mail.audit.records(limit: 100)
        #expect(records.map(\.verdict) == [.allowed, .denied, .denied, .denied])
        #expect(records.map(\.rejectionCode) == [nil, "wrong_principal", "missing_token", "malformed_token"])
        #expect(records[0].itemIDs.count == 5, "the listed message ids are recorded")
        let report = try AuditVerifier.verify(directory: try #require(fixture.mail.audit.directory))
        #expect(report.isIntact)
    }
}
