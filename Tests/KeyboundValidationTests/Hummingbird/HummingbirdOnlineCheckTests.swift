import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Synchronization
import Testing

/// Online checks (``OnlineTokenCheck``): run after the verifier, once per token behind a cache;
/// a token is cached only after it passed them, and a rejection never is.
@Suite("Hummingbird: online token checks")
struct HummingbirdOnlineCheckTests {
    typealias Authenticator = BearerAuthenticator<KeyboundRequestContext>

    /// Refuses the token ids it is told to, after a pause, and counts its calls.
    final class LedgerStandIn: OnlineTokenCheck {
        let calls = Atomic<Int>(0)
        let refused = Mutex<Set<String>>([])

        func check(_ token: VerifiedToken, now: Date) async -> TokenCheckVerdict {
            calls.add(1, ordering: .relaxed)
            try? await Task.sleep(for: .milliseconds(5))
            guard let id = token.tokenID, refused.withLock({ $0.contains(id) }) else { return .accept }
            return .reject(TokenRejection(.tokenNotIssued, "not in the stand-in ledger", tokenIssuer: token.issuer, keyID: token.keyID))
        }
    }

    @Test("behind a cache the check runs once per accepted token; a refused token is checked every time and never cached")
    func oncePerToken() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let ledger = LedgerStandIn()
        let good = try fixture.userToken(tokenID: "issued")
        let forged = try fixture.userToken(tokenID: "forged")
        ledger.refused.withLock { $0 = ["forged"] }
        let app = HBFixture.app(Authenticator(cache: cache, verifier: fixture.provider, onlineChecks: [ledger]))
        try await app.test(.router) { client async throws in
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(good)).status == .ok)
            }
            #expect(ledger.calls.load(ordering: .relaxed) == 1, "checked once, then answered from the cache")
            for _ in 0..<3 {
                let refused = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(forged))
                #expect(refused.status == .unauthorized)
                #expect(try HBFixture.body(refused)["keybound_code"] == .string("token_not_issued"))
            }
            #expect(ledger.calls.load(ordering: .relaxed) == 4, "a refused token is checked again each time")
            #expect(cache.count == 1 && cache.identity(for: forged, now: fixture.now) == nil)
        }
    }

    @Test("without a cache every request is checked; a token the verifier refuses never reaches the check")
    func uncachedAndOrder() async throws {
        let fixture = try HBFixture()
        let ledger = LedgerStandIn()
        let good = try fixture.userToken(tokenID: "issued")
        fixture.revoke(issuer: HBFixture.issuerA, keyID: fixture.keyA.keyID)
        let revokedKeyToken = good
        let app = HBFixture.app(Authenticator(verifier: fixture.provider, onlineChecks: [ledger]))
        try await app.test(.router) { client async throws in
            let refused = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(revokedKeyToken))
            #expect(try HBFixture.body(refused)["keybound_code"] == .string("key_revoked"))
            #expect(ledger.calls.load(ordering: .relaxed) == 0, "the verifier refused first")
            let other = try fixture.fabrikamToken()
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(other)).status == .ok)
            }
            #expect(ledger.calls.load(ordering: .relaxed) == 2)
        }
    }
}
