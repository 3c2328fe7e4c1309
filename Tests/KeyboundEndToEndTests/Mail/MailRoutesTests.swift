import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundMail
import KeyboundServer
import Testing

@Suite("Keybound Mail: routes")
struct MailRoutesTests {
    @Test("A user reads their own messages and one message, and each read is audited with its items")
    func readOwnMail() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.userToken(provider, issuer: "contoso")
            let list = try await MailFixture.get(mail, "/me/messages?$top=3", token: token)
            #expect(list.status == .ok)
            let items = try #require(try ProviderFixture.json(list)["value"]?.arrayValue)
            #expect(items.count == 3)
            let id = try #require(items.first?.objectValue?["id"]?.stringValue)
            var record = try fixture.lastAudit()
            #expect(record.verdict == .allowed)
            #expect(record.operation == "messages.list")
            #expect(record.resource == "user@contoso.example")
            #expect(record.tenant == MailFixture.contosoTenant)
            #expect(record.itemIDs.count == 3)
            #expect(record.sessionID != nil, "delegated tokens carry the session id")

            let one = try await MailFixture.get(mail, "/me/messages/\(id)", token: token)
            #expect(one.status == .ok)
            #expect(try ProviderFixture.json(one)["body"]?.objectValue?["content"]?.stringValue?.isEmpty == false)
            record = try fixture.lastAudit()
            #expect(record.operation == "messages.read")
            #expect(record.itemIDs == [id])

            let badTop = try await MailFixture.get(mail, "/me/messages?$top=0", token: token)
            #expect(badTop.status == .badRequest)
            #expect(try fixture.lastAudit().rejectionCode == "invalid_request")
        }
    }

    @Test("sendMail stores the sender's copy and delivers to a local mailbox; a bad body is 400 and audited")
    func sendMail() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.userToken(provider, issuer: "contoso")
            let body = #"{"message":{"subject":"Hello Megan","body":{"contentType":"Text","content":"See you at 10."},"toRecipients":[{"emailAddress":{"address":"megan@contoso.example"}},{"emailAddress":{"address":"someone@elsewhere.example"}}]}}"#
            let sent = try await mail.execute(uri: "/me/sendMail", method: .post,
                                              headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                              body: ByteBuffer(string: body))
            #expect(sent.status == .accepted)
            let id = try #require(try ProviderFixture.json(sent)["id"]?.stringValue)
            let record = try fixture.lastAudit()
            #expect(record.operation == "mail.send")
            #expect(record.verdict == .allowed)
            #expect(record.itemIDs == [id])
            let megan = try await #require(try await fixture.mail.store.mailbox(address: MailFixture.otherUserAddress))
            #expect(try await fixture.mail.store.messages(in: megan, limit: 10).contains { $0.subject == "Hello Megan" && $0.folder == .inbox })

            for bad in ["{}", "not json", #"{"message":{"toRecipients":[{"emailAddress":{"address":"no at sign"}}]}}"#] {
                let refused = try await mail.execute(uri: "/me/sendMail", method: .post, headers: [.authorization: "Bearer \(token)"],
                                                     body: ByteBuffer(string: bad))
                #expect(refused.status == .badRequest, "\(bad)")
                #expect(try fixture.lastAudit().rejectionCode == "invalid_request")
            }
            let huge = try await mail.execute(uri: "/me/sendMail", method: .post, headers: [.authorization: "Bearer \(token)"],
                                              body: ByteBuffer(repeating: UInt8(ascii: "x"), count: 70_000))
            #expect(huge.status == .contentTooLarge)
            #expect(try fixture.lastAudit().rejectionCode == "request_too_large")
        }
    }

    @Test("A token with Mail.Read but not Mail.Send cannot send: insufficient_scope")
    func sendNeedsScope() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let response = try await ProviderFixture.codeFlow(provider, issuer: "contoso", scope: "openid api://mail/Mail.Read")
            let token = try #require(response["access_token"]?.stringValue)
            let refused = try await mail.execute(uri: "/me/sendMail", method: .post, headers: [.authorization: "Bearer \(token)"],
                                                 body: ByteBuffer(string: "{}"))
            #expect(refused.status == .forbidden)
            #expect(refused.headers[.wwwAuthenticate]?.contains("insufficient_scope") == true)
            #expect(try fixture.lastAudit().rejectionCode == "insufficient_scope")
        }
    }

    @Test("A tenant's audit reader sees only its own tenant's records; others are refused")
    func tenantAuditRead() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let contoso = try await MailFixture.appToken(provider, issuer: "contoso")
            let consumers = try await MailFixture.userToken(provider, issuer: "consumers")
            _ = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: contoso)
            _ = try await MailFixture.get(mail, "/me/messages", token: consumers)
            let auditor = try await MailFixture.appToken(provider, issuer: "contoso", clientID: "auditor")
            let page = try await MailFixture.get(mail, "/audit/records?limit=50", token: auditor)
            #expect(page.status == .ok)
            let records = try #require(try ProviderFixture.json(page)["records"]?.arrayValue?.compactMap(\.objectValue))
            #expect(!records.isEmpty)
            #expect(records.allSatisfy { $0["tenant"]?.stringValue == MailFixture.contosoTenant })
            #expect(records.allSatisfy { $0["tenant_issuer"]?.stringValue == fixture.issuerURL("contoso") && $0["attribution"] == .string("verified") })
            #expect(records.contains { $0["resource"]?.stringValue == MailFixture.otherUserAddress })
            #expect(!records.contains { $0["resource"]?.stringValue == "user@consumers.example" })
            // Mail.Read.All does not include the audit log.
            let refused = try await MailFixture.get(mail, "/audit/records", token: contoso)
            #expect(refused.status == .forbidden)
            #expect(try fixture.lastAudit().operation == "audit.read")
        }
    }
}
