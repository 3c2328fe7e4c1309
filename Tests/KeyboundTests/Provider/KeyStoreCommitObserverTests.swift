import Foundation
@testable import KeyboundServer
import KeyboundStore
import Synchronization
import Testing

/// The key store tells its commit observers (the event streams' wake-up) only after its write
/// counter moved, so whatever a woken reader asks next (the JWKS) is served fresh.
@Suite("Key store: commit observers and the write counter")
struct KeyStoreCommitObserverTests {
    @Test("an observer of a key revocation already gets the new JWKS (with the emergency key) from the provider's key cache")
    func observersSeeFreshKeys() throws {
        let fixture = try ProviderFixture()
        defer { fixture.remove() }
        let context = fixture.context
        let revoked = try context.manager.signingKey(issuerID: "contoso").keyID
        _ = try context.keys.keySetBytes(issuerID: "contoso")  // warm: the cache trusts itself for 250 ms
        let seen = Mutex<(count: Int, jwks: String)?>(nil)
        let observation = context.manager.store.commits.observe {
            let jwks = (try? context.keys.keySetBytes(issuerID: "contoso")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            seen.withLock { $0 = (context.manager.localChangeCount, jwks) }
        }
        defer { observation.cancel() }
        try context.manager.revoke(issuerID: "contoso", keyID: revoked, reason: "test", actor: "test", now: Date())
        let replacement = try context.manager.signingKey(issuerID: "contoso").keyID
        let observed = try #require(seen.withLock { $0 })
        #expect(observed.count == context.manager.localChangeCount, "the counter moved before the observers ran")
        #expect(observed.jwks.contains(replacement), "the JWKS an observer sees already has the replacement key")
        #expect(!observed.jwks.contains(revoked), "and no longer the revoked one")
    }
}
