import Foundation
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Synchronization
import Testing

/// While the key store cannot be read, the key cache keeps serving what it served: the JWKS a
/// relying party fetched before the outage is still there during it, even when the cache was
/// reloaded in between (a key event empties the built key sets).
@Suite("Server: the key cache through a store outage")
struct KeyCacheOutageTests {
    /// A key store whose reads fail while ``failing`` is set (a database that went away).
    final class UnreadableKeyStore: KeyStore {
        let inner: SQLiteKeyStore
        let failing = Atomic<Bool>(false)
        init(_ inner: SQLiteKeyStore) { self.inner = inner }
        func read<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
            if failing.load(ordering: .relaxed) { throw StoreError(.storage, "the database is unreachable (test)") }
            return try await inner.read(body)
        }
        func write<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T { try await inner.write(body) }
        var localWriteCount: Int { inner.localWriteCount }
        var commits: StoreObservers<Void> { inner.commits }
    }

    @Test("the JWKS served before the outage is served during it, across a reload; one never served fails with the store's error")
    func servesLastKeySet() async throws {
        let fixture = try await StoreFixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let store = UnreadableKeyStore(try SQLiteKeyStore(directory: fixture.directory))
        let manager = try await KeyManager(store: store, kek: fixture.kek)
        _ = try await manager.createIssuer(StoreIssuers.consumer("alpha"))
        _ = try await manager.createIssuer(StoreIssuers.consumer("beta"))
        let cache = KeyCache(manager: manager, checkInterval: 0)
        let served = try await cache.keySetBytes(issuerID: "alpha")
        #expect(!served.isEmpty)

        // A key event reloads the cache, which empties its built key sets.
        _ = try await manager.createIssuer(StoreIssuers.consumer("gamma"))
        _ = try await cache.issuer("alpha")

        store.failing.store(true, ordering: .relaxed)
        #expect(try await cache.keySetBytes(issuerID: "alpha") == served)
        #expect(try await cache.issuer("alpha").id == "alpha", "issuers from memory too")
        let error = await #expect(throws: StoreError.self) { try await cache.keySetBytes(issuerID: "beta") }
        #expect(error?.code == .storage, "a key set never served is not invented")
    }
}
