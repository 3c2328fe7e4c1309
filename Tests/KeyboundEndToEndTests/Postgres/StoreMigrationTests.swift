import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
@testable import KeyboundPostgres
import Testing
import KeyboundTesting

/// `keybound migrate --from sqlite:DIR --to postgres://…`: a provider's SQLite data, copied into an
/// empty database with every row and every sequence number; a database that is not empty is refused.
@Suite("PostgreSQL: keybound migrate", .timeLimit(.minutes(10)))
struct StoreMigrationTests {
    @Test("every row of the key and provider stores is copied with its sequence; a second copy into the same database is refused")
    func migrate() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let (revoked, refresh) = try await fixture.app.test(.router) { client in
            let revoked = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let delegated = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let response = try await ProviderFixture.post(client, "/contoso/revoke", [("token", revoked)],
                                                          authorization: ProviderRequests.daemon)
            #expect(response.status == .ok)
            return (revoked, try #require(delegated["refresh_token"]?.stringValue))
        }
        _ = try await fixture.context.manager.rotate(issuerID: "contoso", now: Date(), actor: "test")
        let revokedID = try #require(ProviderFixture.claims(revoked)["jti"]?.stringValue)

        let database = try await TestPostgres.shared.makeDatabase("migrate")
        let environment = CLIServer.environment(database.environment)
        let arguments = ["migrate", "--from", "sqlite:\(fixture.directory.path)", "--to", database.nodeURL, "--json"]
        let copied = try await CLIRunner.run(arguments, environment: environment)
        try #require(copied.status == 0, "\(copied.stderr)")
        let report = try StrictJSONParser.parseObject(Array(copied.stdout.utf8))
        let counts = try #require(report["copied"]?.objectValue)

        // Every table holds what the files hold.
        let keyFile = try DatabaseQueue(path: fixture.directory.appendingPathComponent(SQLiteKeyStore.fileName).path)
        let providerFile = try DatabaseQueue(path: fixture.directory.appendingPathComponent(SQLiteProviderStore.fileName).path)
        for (table, file) in [("issuer", keyFile), ("signing_key", keyFile), ("key_event", keyFile), ("client", providerFile),
                              ("resource", providerFile), ("refresh_token", providerFile), ("issuance", providerFile),
                              ("token_revocation", providerFile), ("token_event", providerFile), ("authorization_code", providerFile)] {
            let rows = try await file.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1 }
            #expect(rows > 0, "\(table) has rows to copy")
            #expect(counts[table] == .number(Double(rows)), "\(table): \(rows) in the file, \(counts[table].map { "\($0)" } ?? "none") copied")
        }
        let users = try await providerFile.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM user") ?? -1 }
        #expect(counts["app_user"] == .number(Double(users)))

        try await database.withRunning { db in
            let store = PostgresProviderStore(database: db)
            #expect(try await store.revocation(issuerID: "contoso", tokenID: revokedID) != nil)
            #expect(try await store.issuanceStatus(issuerID: "contoso", tokenID: revokedID)?.revocationReason != nil)
            let events = try await store.tokenEvents(issuerID: "contoso", after: 0)
            #expect(events.map(\.tokenID) == (try fixture.store.tokenEvents(issuerID: "contoso", after: 0, limit: 500)).map(\.tokenID))
            #expect(events.map(\.sequence) == (try fixture.store.tokenEvents(issuerID: "contoso", after: 0, limit: 500)).map(\.sequence))
            #expect(try await store.refreshToken(issuerID: "contoso", tokenHash: Secrets.hexDigest(refresh))?.spentAt == nil)
            let ledger = try await store.issuances(after: 0, limit: 1_000)
            #expect(ledger.map(\.sequence) == (try fixture.store.issuances(after: 0, limit: 1_000)).map(\.sequence))
            let keyStore = PostgresKeyStore(database: db)
            let copiedKeys = try await keyStore.read { try await $0.keys(issuerID: nil) }
            let originalKeys = try await fixture.context.manager.store.read { try await $0.keys(issuerID: nil) }
            #expect(copiedKeys.map(\.keyID).sorted() == originalKeys.map(\.keyID).sorted())
            #expect(copiedKeys.map(\.sealedPrivateKey).sorted { $0.lexicographicallyPrecedes($1) }
                    == originalKeys.map(\.sealedPrivateKey).sorted { $0.lexicographicallyPrecedes($1) }, "keys stay sealed as they were")
            let keyEvents = try await keyStore.read { try await $0.events(after: 0, limit: 1_000) }
            let originalEvents = try await fixture.context.manager.store.read { try await $0.events(after: 0, limit: 1_000) }
            #expect(keyEvents == originalEvents, "key events keep their numbers")
            #expect(try await keyStore.read { try await $0.metadata(KeyManager.kekFingerprintName) }
                    == (try await fixture.context.manager.store.read { try await $0.metadata(KeyManager.kekFingerprintName) }))
            // The same KEK opens the copied keys: a node on the database signs with the same key.
            let manager = try await KeyManager(store: keyStore, kek: fixture.context.manager.sealer.kek)
            let signing = try await manager.signingKey(issuerID: "contoso", purpose: .accessToken)
            let original = try await fixture.context.manager.signingKey(issuerID: "contoso", purpose: .accessToken)
            #expect(signing.keyID == original.keyID)
            await #expect(throws: StoreError.self, "another KEK opens nothing") {
                _ = try await KeyManager(store: keyStore, kek: .generate())
            }
        }

        let again = try await CLIRunner.run(arguments, environment: environment)
        #expect(again.status != 0 && again.stderr.contains("not empty"), "\(again.status): \(again.stderr)")
    }
}
