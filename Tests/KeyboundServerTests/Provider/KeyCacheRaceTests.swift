import Foundation
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The provider's key cache under revocation: a signer or key set read before a key event is never
/// stored after it, so once a revocation returns no token is signed with, and no JWKS lists, the
/// revoked key — whatever the other tasks were doing at that moment.
@Suite("Provider: key cache against revocation")
struct KeyCacheRaceTests {
    /// What a reader saw: the number of revocations completed before its call began, and the key ids it got.
    struct Observation: Sendable {
        let revocationsBefore: Int
        let signingKeyID: String?
        let publishedKeyIDs: [String]
    }

    @Test("after a revocation returns, no signer or JWKS from the cache carries the revoked key")
    func revocationInterleavedWithReads() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let context = fixture.context
        let rounds = 30
        let shared = Shared()
        // Widen the window between building a signer or key set and storing it (20 ms), and revoke
        // faster than that, so key events land inside loads in every run rather than by luck.
        context.keys.setAfterLoadHookForTesting { usleep(20_000) }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for reader in 0..<8 {
                group.addTask {
                    var seen: [Observation] = []
                    while !shared.stop.load(ordering: .acquiring) {
                        let before = shared.completed.load(ordering: .acquiring)
                        if reader % 2 == 0 {
                            let signer = try await context.keys.signer(issuerID: "contoso")
                            seen.append(Observation(revocationsBefore: before, signingKeyID: signer.key.keyID, publishedKeyIDs: []))
                        } else {
                            let bytes = try await context.keys.keySetBytes(issuerID: "contoso")
                            seen.append(Observation(revocationsBefore: before, signingKeyID: nil, publishedKeyIDs: Self.keyIDs(bytes)))
                        }
                        shared.reads.add(1, ordering: .releasing)
                        await Task.yield()
                    }
                    shared.observations.withLock { $0.append(contentsOf: seen) }
                }
            }
            group.addTask {
                for _ in 0..<rounds {
                    try await Task.sleep(for: .milliseconds(8))
                    // Each round waits (up to 10 s on a loaded machine) until more reads have ended
                    // than the eight readers could have had in flight: at least one of them began
                    // after the last revocation returned. The readers then interleave with every
                    // round by construction, not by the machine's luck.
                    let readsBefore = shared.reads.load(ordering: .acquiring)
                    let waitUntil = ContinuousClock.now + .seconds(10)
                    while shared.reads.load(ordering: .acquiring) < readsBefore + 9, ContinuousClock.now < waitUntil {
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    let active = try await #require(try context.manager.keys(issuerID: "contoso").first { $0.state == .active && $0.purpose == .accessToken })
                    // As the admin API revokes: the store, then the cache.
                    _ = try await context.manager.revoke(issuerID: "contoso", keyID: active.keyID, reason: "race test",
                                                   actor: "test", now: Date())
                    context.keys.invalidate()
                    shared.revoked.withLock { $0.append(active.keyID) }
                    shared.completed.add(1, ordering: .releasing)
                }
                try await Task.sleep(for: .milliseconds(30))
                shared.stop.store(true, ordering: .releasing)
            }
            try await group.waitForAll()
        }

        let revokedKeys = shared.revoked.withLock { $0 }
        let seen = shared.observations.withLock { $0 }
        #expect(revokedKeys.count == rounds)
        // The readers really ran between the revocations (how often depends on the machine's load).
        #expect(Set(seen.map(\.revocationsBefore)).count > rounds / 2, "the readers ran too little to interleave (\(seen.count) reads)")
        var stale: [String] = []
        for observation in seen {
            let alreadyRevoked = Set(revokedKeys.prefix(observation.revocationsBefore))
            if let kid = observation.signingKeyID, alreadyRevoked.contains(kid) { stale.append("signed with \(kid)") }
            for kid in observation.publishedKeyIDs where alreadyRevoked.contains(kid) { stale.append("published \(kid)") }
        }
        #expect(stale.isEmpty, "reads begun after a revocation returned still used the revoked key: \(stale.prefix(5))")
        // And the cache's settled state is right too.
        let finalSigner = try await context.keys.signer(issuerID: "contoso")
        #expect(!revokedKeys.contains(finalSigner.key.keyID))
        await #expect(Set(Self.keyIDs(try context.keys.keySetBytes(issuerID: "contoso"))).isDisjoint(with: revokedKeys))
    }

    @Test("a signer and a key set built before a revocation are not stored after it")
    func loadSpanningRevocation() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let context = fixture.context
        let before = try await #require(try context.manager.keys(issuerID: "contoso").first { $0.state == .active && $0.purpose == .accessToken })
        // The revocation (and another reader's reload) lands after the old key was read from the
        // store and before the cache stores what it built from it.
        let once = Shared()
        context.keys.setAfterLoadHookForTesting {
            guard once.completed.add(1, ordering: .relaxed).oldValue == 0 else { return }
            _ = try? await context.manager.revoke(issuerID: "contoso", keyID: before.keyID, reason: "test", actor: "test", now: Date())
            context.keys.invalidate()
            _ = try? await context.keys.trust()   // another reader reloads the cache in between
        }
        let stale = try await context.keys.signer(issuerID: "contoso")
        #expect(stale.key.keyID == before.keyID)   // the call that spanned the revocation used what it read
        context.keys.setAfterLoadHookForTesting(nil)
        // Every call after the revocation returned: the replacement key, never the revoked one.
        for _ in 0..<3 {
            await #expect(try context.keys.signer(issuerID: "contoso").key.keyID != before.keyID)
        }

        once.completed.store(0, ordering: .relaxed)
        let second = try await #require(try context.manager.keys(issuerID: "contoso").first { $0.state == .active && $0.purpose == .accessToken })
        context.keys.setAfterLoadHookForTesting {
            guard once.completed.add(1, ordering: .relaxed).oldValue == 0 else { return }
            _ = try? await context.manager.revoke(issuerID: "contoso", keyID: second.keyID, reason: "test", actor: "test", now: Date())
            context.keys.invalidate()
            _ = try? await context.keys.trust()
        }
        _ = try await context.keys.keySetBytes(issuerID: "contoso")
        context.keys.setAfterLoadHookForTesting(nil)
        for _ in 0..<3 {
            await #expect(!Self.keyIDs(try context.keys.keySetBytes(issuerID: "contoso")).contains(second.keyID))
        }
    }

    /// State shared by the readers and the revoker.
    final class Shared: Sendable {
        /// `revoked[i]` is the key revoked by round `i`.
        let revoked = Mutex<[String]>([])
        /// Rounds whose revocation has returned.
        let completed = Atomic<Int>(0)
        let observations = Mutex<[Observation]>([])
        let stop = Atomic<Bool>(false)
        /// Reads finished so far, by every reader.
        let reads = Atomic<Int>(0)
    }

    static func keyIDs(_ bytes: [UInt8]) -> [String] {
        guard let object = try? StrictJSONParser.parseObject(bytes), case .array(let keys)? = object["keys"] else { return [] }
        return keys.compactMap { key in
            guard case .object(let jwk) = key, case .string(let kid)? = jwk["kid"] else { return nil }
            return kid
        }
    }
}
