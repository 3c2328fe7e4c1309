import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Keybound
import KeyboundAudit
@testable import KeyboundIncident
@testable import KeyboundServer
import KeyboundStore
import Testing

/// `keybound incident respond` in-process, over a provider with Keybound Mail that saw both
/// legitimate traffic and a Storm-0558 style attack with the consumer issuer's key.
@Suite("Incident response", .serialized)
struct IncidentResponseTests {
    struct Killed: Error {}

    /// A fixture that saw legitimate contoso and consumers traffic, then forgeries with the consumers key.
    static func attackedFixture() async throws -> (MailFixture, stolenKeyID: String) {
        let fixture = try MailFixture()
        let stolen = try fixture.context.manager.signingKey(issuerID: "consumers")
        let crossIssuer = try fixture.forge(with: stolen, issuer: fixture.issuerURL("contoso"), tenant: MailFixture.contosoTenant)
        let sameIssuer = try fixture.forge(with: stolen, issuer: fixture.issuerURL("consumers"), tenant: IssuerRecord.wellKnownConsumerTenantID)
        try await fixture.withClients { provider, mail in
            let contoso = try await MailFixture.appToken(provider, issuer: "contoso")
            // A consumer realm has no tenant-wide roles: its people read their own mail.
            let consumers = try await MailFixture.userToken(provider, issuer: "consumers")
            #expect(try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: contoso).status == .ok)
            #expect(try await MailFixture.get(mail, "/me/messages", token: consumers).status == .ok)
            #expect(try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: crossIssuer).status == .unauthorized)
            #expect(try await MailFixture.get(mail, "/users/user@consumers.example/messages", token: sameIssuer).status == .unauthorized)
        }
        return (fixture, stolen.keyID)
    }

    static func responder(_ fixture: MailFixture, kill: IncidentStep? = nil) throws -> IncidentResponder {
        IncidentResponder(manager: fixture.context.manager, keyStore: try SQLiteKeyStore(directory: fixture.provider.directory),
                          ledger: fixture.context.store, afterEffect: { step in if step == kill { throw Killed() } })
    }

    static func request(_ fixture: MailFixture, kid: String) -> IncidentResponder.Request {
        IncidentResponder.Request(issuerID: "consumers", keyID: kid, reason: "consumer signing key stolen",
                                  dataDirectory: fixture.provider.directory, auditDirectory: fixture.mail.audit.directory)
    }

    @Test("One run revokes the key, signs with a fresh one, revokes its tokens, hunts, and writes a notice per organisation")
    func fullResponse() async throws {
        let (fixture, kid) = try await Self.attackedFixture()
        defer { fixture.remove() }
        let (record, folder) = try Self.responder(fixture).respond(Self.request(fixture, kid: kid))
        #expect(record.isClosed)
        #expect(record.completed.map(\.step) == IncidentStep.allCases)
        let keys = try fixture.context.manager.keys(issuerID: "consumers")
        #expect(keys.first { $0.keyID == kid }?.state == .revoked)
        let fresh = try #require(record.freshKeyID)
        #expect(fresh != kid)
        #expect(keys.first { $0.keyID == fresh }?.state == .active)
        #expect((record.tokensRevoked ?? 0) >= 1, "the consumers user's token was signed with the key")
        for name in ["incident.json", "timeline.md", "summary.json", "affected.md", "hunt.md", "hunt.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(name).path), "\(name)")
        }
        // The cross-issuer attempt targeted contoso; the same-issuer forgery the consumers tenant.
        let notices = try FileManager.default.contentsOfDirectory(atPath: folder.noticesFolder.path).sorted()
        #expect(notices.contains("\(MailFixture.contosoTenant).md"))
        #expect(notices.contains("\(IssuerRecord.wellKnownConsumerTenantID).json"))
        let contoso = try String(contentsOf: folder.noticesFolder.appendingPathComponent("\(MailFixture.contosoTenant).md"), encoding: .utf8)
        #expect(contoso.contains(MailFixture.otherUserAddress))
        #expect(contoso.contains("No mail was read"))
        #expect(contoso.contains("## What you need to do\n\nNothing."))
        // Running it again changes nothing.
        let events = try fixture.context.manager.events(after: 0, limit: 10_000).count
        let (again, _) = try Self.responder(fixture).respond(Self.request(fixture, kid: kid))
        #expect(again.id == record.id)
        #expect(again.completed.map(\.detail) == record.completed.map(\.detail), "no step ran again")
        #expect(try fixture.context.manager.events(after: 0, limit: 10_000).count == events)
    }

    @Test("Killed after any step's effect and run again, it completes without repeating or losing a step",
          arguments: IncidentStep.allCases)
    func resumesAfterKill(at step: IncidentStep) async throws {
        let (fixture, kid) = try await Self.attackedFixture()
        defer { fixture.remove() }
        #expect(throws: Killed.self) { try Self.responder(fixture, kill: step).respond(Self.request(fixture, kid: kid)) }
        let (record, folder) = try Self.responder(fixture).respond(Self.request(fixture, kid: kid))
        #expect(record.completed.map(\.step) == IncidentStep.allCases, "each step recorded exactly once, in order")
        let events = try fixture.context.manager.events(after: 0, limit: 10_000).filter { $0.issuerID == "consumers" }
        #expect(events.filter { $0.keyID == kid && $0.kind == .revoked }.count == 1)
        #expect(events.filter { $0.kind == .activated && $0.keyID != kid }.count == 1, "exactly one fresh key activated")
        #expect((record.tokensRevoked ?? 0) >= 1)
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("summary.json").path))
        #expect(try IncidentCatalog.list(root: IncidentResponder.incidentsRoot(fixture.provider.directory)).count == 1)
    }
}
