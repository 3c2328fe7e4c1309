import Foundation
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Synchronization
import Testing

/// The key store tells its commit observers (the event streams' wake-up) only after its write
/// counter moved, so whatever a woken reader asks next (the JWKS) is served fresh.
@Suite("Key store: commit observers and the write counter")
struct KeyStoreCommitObserverTests {
    @Test("an observer of a key revocation already gets the new JWKS (with the emergency key) from the provider's key cache")
    func observersSeeFreshKeys() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let context = fixture.context
        let revoked = try await context.manager.signingKey(issuerID: "contoso").keyID
        _ = try await context.keys.keySetBytes(issuerID: "contoso")  // warm: the cache trusts itself for 250 ms
        // An observer runs on the committing thread and may not wait; what it wakes (an event
        // stream, then a validator's JWKS fetch) reads the cache afterwards, as this task does.
        let seen = Mutex<Task<(count: Int, jwks: String), Never>?>(nil)
        let observation = context.manager.store.commits.observe {
            let count = context.manager.localChangeCount
            seen.withLock { seen in
                guard seen == nil else { return }
                seen = Task {
                    let jwks = (try? await context.keys.keySetBytes(issuerID: "contoso")).map { String(decoding: $0, as: UTF8.self) } ?? ""
                    return (count, jwks)
                }
            }
        }
        defer { observation.cancel() }
        try await context.manager.revoke(issuerID: "contoso", keyID: revoked, reason: "test", actor: "test", now: Date())
        let replacement = try await context.manager.signingKey(issuerID: "contoso").keyID
        let observed = await (try #require(seen.withLock { $0 })).value
        #expect(observed.count == context.manager.localChangeCount, "the counter moved before the observers ran")
        #expect(observed.jwks.contains(replacement), "the JWKS an observer sees already has the replacement key")
        #expect(!observed.jwks.contains(revoked), "and no longer the revoked one")
    }
}
