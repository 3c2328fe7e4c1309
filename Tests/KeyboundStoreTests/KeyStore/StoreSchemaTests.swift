import Foundation
import Keybound
import KeyboundStore
import Testing

/// What each backend's schema refuses by itself, whichever code writes (a bug, another tool, a
/// person with a database shell), and what a session leaves behind when its task is cancelled.
@Suite("Key store: the schema's own guarantees, on SQLite and PostgreSQL")
struct StoreSchemaTests {
    @Test("the database refuses a second active key of one (issuer, purpose)", arguments: StoreBackend.allCases)
    func oneActiveKeyPerPurpose(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let store = try fixture.openStore()
        let active = try await store.read { try await $0.keys(issuerID: "consumers") }.first { $0.purpose == .idToken && $0.state == .active }!
        var second = active
        second.keyID = "second-active-id-token-key"
        let secondRow = second
        await #expect(throws: (any Error).self, "a second active ID-token key") { try await store.write { try await $0.insert(secondRow) } }
        // The same key as a retired access-token key is a row like any other.
        var retired = active
        retired.keyID = "retired-access-token-key"
        retired.purpose = .accessToken
        retired.state = .retired
        let retiredRow = retired
        try await store.write { try await $0.insert(retiredRow) }
        #expect(try await store.read { try await $0.key(issuerID: "consumers", keyID: "retired-access-token-key") } == retired)
    }

    @Test("keys, issuers and key events are never deleted, events never changed, a tid or a key's purpose never changes",
          arguments: StoreBackend.allCases)
    func refusedChanges(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let before = try await StoreSnapshot(fixture)
        // SQLite has no TRUNCATE; on PostgreSQL it skips row triggers, so it has its own.
        let truncations = backend == .postgres
            ? ["TRUNCATE signing_key", "TRUNCATE issuer CASCADE", "TRUNCATE key_event"] : []
        for statement in [
            "DELETE FROM signing_key", "DELETE FROM key_event", "DELETE FROM issuer",
            "UPDATE key_event SET reason = 'rewritten'", "UPDATE issuer SET tenant_id = 'another-tenant'",
            "UPDATE signing_key SET purpose = 'id-token' WHERE purpose = 'access-token'",
        ] + truncations {
            await #expect(throws: (any Error).self, "\(statement) on \(backend)") { try await fixture.executeRaw(statement) }
        }
        #expect(try await StoreSnapshot(fixture) == before)
    }

    @Test("a session whose task is cancelled mid-transaction leaves nothing open: the next one works", arguments: StoreBackend.allCases)
    func cancelledSession(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend, issuers: [StoreIssuers.consumer()])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let (entered, signal) = AsyncStream<Void>.makeStream()
        let writer = Task {
            try await manager.store.write { session -> Int in
                try await session.setMetadata("cancelled-session", "written")
                signal.yield()
                try await Task.sleep(for: .seconds(60))
                return 0
            }
        }
        for await _ in entered { break }
        writer.cancel()
        await #expect(throws: CancellationError.self) { try await writer.result.get() }
        // Rolled back, and the store takes the next sessions on the same instance.
        #expect(try await manager.store.read { try await $0.metadata("cancelled-session") } == nil)
        try await manager.rotate(issuerID: "consumers", now: StoreClock.at(60))
        #expect(try await manager.keys("consumers", in: .pending).count == 1)
        #expect(try await manager.keys("consumers", in: .active).count == 1)
    }
}
