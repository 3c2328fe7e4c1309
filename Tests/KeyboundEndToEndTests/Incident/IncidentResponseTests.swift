import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundIncident
import KeyboundServer
import KeyboundStore
import Testing

/// `keybound incident respond` in-process, over a provider with Keybound Mail that saw both
/// legitimate traffic and a Storm-0558 style attack with the consumer issuer's key.
@Suite("Incident response", .serialized)
struct IncidentResponseTests {
    struct Killed: Error {}

    /// A fixture that saw legitimate contoso and consumers traffic, then forgeries with the consumers
    /// key at a mail front end without the ledger check (as a validator in another process runs):
    /// a cross-issuer token for contoso (refused), an application token of the consumer realm
    /// (refused: no tenant-wide roles there) and a token in a consumer user's name (served).
    static func attackedFixture() async throws -> (MailFixture, stolenKeyID: String) {
        let fixture = try await MailFixture(ledgerCheck: false)
        let stolen = try await fixture.context.manager.signingKey(issuerID: "consumers")
        let consumerTID = try await #require(try fixture.context.manager.issuer(id: "consumers").tenantID)
        let crossIssuer = try fixture.forge(with: stolen, issuer: fixture.issuerURL("contoso"), tenant: MailFixture.contosoTenant)
        let consumerApp = try fixture.forge(with: stolen, issuer: fixture.issuerURL("consumers"), tenant: consumerTID)
        let consumerUser = try fixture.forge(with: stolen, issuer: fixture.issuerURL("consumers"), tenant: consumerTID,
                                             extra: ["sub": .string("consumers-user-subject"), "scope": .string("Mail.Read"), "idtyp": .string("user")])
        try await fixture.withClients { provider, mail in
            let contoso = try await MailFixture.appToken(provider, issuer: "contoso")
            // A consumer realm has no tenant-wide roles: its people read their own mail.
            let consumers = try await MailFixture.userToken(provider, issuer: "consumers")
            #expect(try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: contoso).status == .ok)
            #expect(try await MailFixture.get(mail, "/me/messages", token: consumers).status == .ok)
            #expect(try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: crossIssuer).status == .unauthorized)
            #expect(try await MailFixture.get(mail, "/users/user@consumers.example/messages", token: consumerApp).status == .forbidden)
            #expect(try await MailFixture.get(mail, "/me/messages", token: consumerUser).status == .ok)
        }
        return (fixture, stolen.keyID)
    }

    static func responder(_ fixture: MailFixture, kill: IncidentStep? = nil) throws -> IncidentResponder {
        IncidentResponder(manager: fixture.context.manager, stores: try stores(fixture),
                          afterEffect: { step in if step == kill { throw Killed() } })
    }

    static func stores(_ fixture: MailFixture) throws -> IncidentResponder.Stores {
        IncidentResponder.Stores(keyStore: try SQLiteKeyStore(directory: fixture.provider.directory), ledger: fixture.provider.store,
                                 audit: .sqliteDirectory(try #require(fixture.mail.audit.directory)),
                                 incidents: FolderIncidentStore(dataDirectory: fixture.provider.directory))
    }

    static func folder(_ fixture: MailFixture, _ record: IncidentRecord) -> IncidentFolder {
        FolderIncidentStore(dataDirectory: fixture.provider.directory).folder(id: record.id)
    }

    static func request(_ fixture: MailFixture, kid: String) -> IncidentResponder.Request {
        IncidentResponder.Request(issuerID: "consumers", keyID: kid, reason: "consumer signing key stolen")
    }

    @Test("One run revokes the key, signs with a fresh one, revokes its tokens, hunts, and writes a notice per organisation")
    func fullResponse() async throws {
        let (fixture, kid) = try await Self.attackedFixture()
        defer { fixture.remove() }
        let record = try await Self.responder(fixture).respond(Self.request(fixture, kid: kid))
        let folder = Self.folder(fixture, record)
        #expect(record.isClosed)
        #expect(record.completed.map(\.step) == IncidentStep.allCases)
        let keys = try await fixture.context.manager.keys(issuerID: "consumers")
        #expect(keys.first { $0.keyID == kid }?.state == .revoked)
        let fresh = try #require(record.freshKeyID)
        #expect(fresh != kid)
        #expect(keys.first { $0.keyID == fresh }?.state == .active)
        #expect((record.tokensRevoked ?? 0) >= 1, "the consumers user's token was signed with the key")
        for name in ["incident.json", "timeline.md", "summary.json", "affected.md", "hunt.md", "hunt.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(name).path), "\(name)")
        }
        // Notices go to the tenants a verified token reached: the consumer realm, whose user's mail was
        // served to the forgery. The cross-issuer attempt was refused, so it only *claimed* contoso:
        // it is evidence in affected.md, and no one is notified on the strength of a refused token's tid.
        let notices = try FileManager.default.contentsOfDirectory(atPath: folder.noticesFolder.path).sorted()
        let consumerTID = IssuerRecord.wellKnownConsumerTenantID
        #expect(notices == ["\(consumerTID).json", "\(consumerTID).md"])
        let consumers = try String(contentsOf: folder.noticesFolder.appendingPathComponent("\(consumerTID).md"), encoding: .utf8)
        #expect(consumers.contains("user@consumers.example"))
        #expect(consumers.contains(fixture.issuerURL("consumers")))
        #expect(consumers.contains("were served before the key was revoked"))
        let affected = try String(contentsOf: folder.url.appendingPathComponent("affected.md"), encoding: .utf8)
        #expect(affected.contains("Refused attempts that only claimed a tenant"))
        #expect(affected.contains("claimed tenant `\(MailFixture.contosoTenant)`"))
        // Running it again changes nothing.
        let events = try await fixture.context.manager.events(after: 0, limit: 10_000).count
        let again = try await Self.responder(fixture).respond(Self.request(fixture, kid: kid))
        #expect(again.id == record.id)
        #expect(again.completed.map(\.detail) == record.completed.map(\.detail), "no step ran again")
        await #expect(try fixture.context.manager.events(after: 0, limit: 10_000).count == events)
    }

    @Test("Killed after any step's effect and run again, it completes without repeating or losing a step",
          arguments: IncidentStep.allCases)
    func resumesAfterKill(at step: IncidentStep) async throws {
        let (fixture, kid) = try await Self.attackedFixture()
        defer { fixture.remove() }
        await #expect(throws: Killed.self) { try await Self.responder(fixture, kill: step).respond(Self.request(fixture, kid: kid)) }
        let record = try await Self.responder(fixture).respond(Self.request(fixture, kid: kid))
        let folder = Self.folder(fixture, record)
        #expect(record.completed.map(\.step) == IncidentStep.allCases, "each step recorded exactly once, in order")
        let events = try await fixture.context.manager.events(after: 0, limit: 10_000).filter { $0.issuerID == "consumers" }
        #expect(events.filter { $0.keyID == kid && $0.kind == .revoked }.count == 1)
        // The fresh key is of the stolen key's purpose (access tokens); the ID-token key keeps its one initial activation.
        let accessKeys = await Set(try fixture.context.manager.keys(issuerID: "consumers").filter { $0.purpose == .accessToken }.map(\.keyID))
        #expect(events.filter { $0.kind == .activated && $0.keyID != kid && accessKeys.contains($0.keyID) }.count == 1,
                "exactly one fresh key activated")
        #expect((record.tokensRevoked ?? 0) >= 1)
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("summary.json").path))
        #expect(try await FolderIncidentStore(dataDirectory: fixture.provider.directory).incidents().count == 1)
    }
}
