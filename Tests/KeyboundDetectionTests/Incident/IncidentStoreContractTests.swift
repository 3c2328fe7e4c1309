import Foundation
@testable import Keybound
@testable import KeyboundIncident
@testable import KeyboundStore
import Testing

/// The incident store on both backends: one incident per (issuer, key), reopened rather than
/// duplicated; its state saved after each step; documents written and rewritten by name; names
/// that could escape the incident refused; and, in the database, no incident or document deleted.
@Suite("Incident store contract", .timeLimit(.minutes(10)))
struct IncidentStoreContractTests {
    static func store(_ fixture: StoreFixture) async throws -> any IncidentStore {
        if let database = fixture.postgresDatabase { return try await PostgresIncidentStore.open(database: database) }
        return FolderIncidentStore(dataDirectory: fixture.directory)
    }

    static func record(_ id: String, issuer: String = "contoso", kid: String, at: Date) -> IncidentRecord {
        IncidentRecord(id: id, issuerID: issuer, issuerURL: StoreIssuers.url(issuer), keyID: kid, reason: "key stolen", openedAt: at, completed: [])
    }

    @Test("one incident per (issuer, key), its steps saved, its documents by name, and every incident listed oldest first",
          arguments: StoreBackend.allCases)
    func contract(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.tenant(), StoreIssuers.consumer()])
        defer { fixture.remove() }
        let store = try await Self.store(fixture)
        let opened = try await store.open(Self.record("INC-1-contoso-k1", kid: "k1", at: StoreClock.origin))
        #expect(opened.id == "INC-1-contoso-k1")
        // A second response to the same key, wherever it starts, resumes the first incident.
        let again = try await store.open(Self.record("INC-2-contoso-k1", kid: "k1", at: StoreClock.origin.addingTimeInterval(60)))
        #expect(again.id == opened.id)
        // The same kid of another issuer is another key: another incident.
        let other = try await store.open(Self.record("INC-3-consumers-k1", issuer: "consumers", kid: "k1", at: StoreClock.origin.addingTimeInterval(120)))
        #expect(other.id == "INC-3-consumers-k1")

        var progressed = opened
        progressed.completed.append(.init(step: .revokeKey, completedAt: StoreClock.origin.addingTimeInterval(1), detail: "key k1 revoked"))
        progressed.tokensRevoked = 3
        try await store.save(progressed)
        #expect(try await store.incident(id: opened.id) == progressed)
        #expect(try await store.incidents().map(\.id) == ["INC-1-contoso-k1", "INC-3-consumers-k1"])

        try await store.write("# timeline, first\n", named: "timeline.md", incidentID: opened.id)
        try await store.write("# timeline, resumed\n", named: "timeline.md", incidentID: opened.id)
        try await store.write("{\"tenant\":\"contoso\"}\n", named: "notices/contoso-tid.json", incidentID: opened.id)
        #expect(try await store.documentNames(incidentID: opened.id) == ["notices/contoso-tid.json", "timeline.md"])
        #expect(try await store.document(named: "timeline.md", incidentID: opened.id) == "# timeline, resumed\n", "rewritten, not duplicated")
        #expect(try await store.documentNames(incidentID: other.id).isEmpty)
        #expect(try await store.document(named: "missing.md", incidentID: opened.id) == nil)
        for name in ["../escape.md", "notices/../../x", "/etc/passwd", ".hidden", "incident.json", "a/b/c.md", ""] {
            await #expect(throws: IncidentError.self, "\(name)") { try await store.write("x", named: name, incidentID: opened.id) }
        }
        #expect(try await store.incident(id: "INC-none") == nil)
    }

    @Test("the database refuses to delete an incident or a document, or to move an incident to another key")
    func databaseRefusesChanges() async throws {
        let fixture = try await StoreFixture(.postgres, issuers: [StoreIssuers.tenant(), StoreIssuers.consumer()])
        defer { fixture.remove() }
        let store = try await Self.store(fixture)
        let opened = try await store.open(Self.record("INC-1-contoso-k1", kid: "k1", at: StoreClock.origin))
        try await store.write("# timeline\n", named: "timeline.md", incidentID: opened.id)
        for sql in ["DELETE FROM incident_document", "DELETE FROM incident", "TRUNCATE incident_document", "TRUNCATE incident CASCADE",
                    "UPDATE incident SET kid = 'k2'", "UPDATE incident SET issuer_id = 'consumers'"] {
            await #expect(throws: (any Error).self, "refused: \(sql)") { try await fixture.executeRaw(sql) }
        }
        #expect(try await store.documentNames(incidentID: opened.id) == ["timeline.md"])
        #expect(try await store.incident(id: opened.id)?.keyID == "k1")
    }
}
