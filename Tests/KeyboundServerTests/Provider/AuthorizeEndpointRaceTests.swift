import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// Replays that arrive while the first exchange is still in flight. docs/provider.md: "Replaying an
/// authorization code does the same [revokes] to the tokens the first exchange produced", and a
/// spent refresh token "revokes the whole chain and every access and ID token issued in it".
/// Whatever the interleaving, no token handed out by a replayed exchange may stay active.
@Suite("Provider: concurrent code and refresh replays")
struct AuthorizeEndpointRaceTests {
    static let attempts = 8
    /// The interleaving is up to the scheduler: enough rounds that a lost revocation shows.
    static let rounds = 25

    static func concurrently(_ count: Int, _ body: @escaping @Sendable () async throws -> TestResponse) async throws -> [TestResponse] {
        try await withThrowingTaskGroup(of: TestResponse.self) { group in
            for _ in 0..<count { group.addTask { try await body() } }
            var responses: [TestResponse] = []
            for try await response in group { responses.append(response) }
            return responses
        }
    }

    @Test("concurrent redemptions of one code: one succeeds at most, and its tokens do not survive the replays")
    func codeReplayRace() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            var survivors: [Int] = []
            for round in 0..<Self.rounds {
                let code = try await ProviderRequests.code(client)
                let responses = try await Self.concurrently(Self.attempts) { try await ProviderRequests.exchange(client, code: code) }
                let successes = responses.filter { $0.status == .ok }
                #expect(successes.count <= 1, "round \(round): \(successes.count) exchanges of one code succeeded")
                #expect(responses.filter { $0.status == .badRequest }.count == Self.attempts - successes.count)
                for success in successes {
                    let body = try ProviderFixture.json(success)
                    let access = try #require(body["access_token"]?.stringValue)
                    let refresh = try #require(body["refresh_token"]?.stringValue)
                    let accessActive = try await ProviderRequests.isActive(client, access)
                    let refreshActive = try fixture.isRefreshTokenLive(refresh)
                    if accessActive || refreshActive { survivors.append(round) }
                }
            }
            #expect(survivors.isEmpty, "in rounds \(survivors) the code was replayed but the first exchange's tokens stayed active")
        }
    }

    @Test("concurrent spends of one refresh token: one succeeds at most, and what it returned does not survive the reuse")
    func refreshReuseRace() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            var survivors: [Int] = []
            for round in 0..<Self.rounds {
                let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
                let refresh = try #require(tokens["refresh_token"]?.stringValue)
                let responses = try await Self.concurrently(Self.attempts) {
                    try await ProviderFixture.post(client, "/contoso/token", [
                        ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "web")])
                }
                let successes = responses.filter { $0.status == .ok }
                #expect(successes.count <= 1, "round \(round): \(successes.count) spends of one refresh token succeeded")
                for success in successes {
                    let body = try ProviderFixture.json(success)
                    let next = try #require(body["refresh_token"]?.stringValue)
                    let access = try #require(body["access_token"]?.stringValue)
                    let nextActive = try fixture.isRefreshTokenLive(next)
                    let accessActive = try await ProviderRequests.isActive(client, access)
                    if nextActive || accessActive { survivors.append(round) }
                }
            }
            #expect(survivors.isEmpty, "in rounds \(survivors) the refresh token was reused but the new tokens stayed active")
        }
    }

    // MARK: The same interleavings, made deterministic

    /// What the token endpoint does after winning a redemption or a spend: mint the chain's
    /// access and refresh tokens and commit them (TokenEndpoint.issueDelegated).
    static func finishExchange(_ fixture: ProviderFixture, chainID: String, scope: String) async throws -> (access: String, refresh: String) {
        let context = fixture.context
        let grant = await TokenMinter.Grant(
            issuer: try context.issuer("contoso"), client: try #require(try fixture.store.client(issuerID: "contoso", clientID: "web")),
            user: try #require(try fixture.store.user(issuerID: "contoso", username: "user")),
            scope: .stored(scope: scope, resource: "api://mail"), grantType: "authorization_code", sessionID: Secrets.uuid(),
            authTime: context.now(), nonce: nil, chainID: chainID, parentTokenID: nil)
        let minter = TokenMinter(context: context)
        let access = try await minter.accessToken(grant, now: context.now())
        let refresh = try #require(minter.refreshToken(grant, chainStartedAt: context.now(), now: context.now()))
        try await context.store.commit(IssuanceEntry(records: [access.record, refresh.record], refreshToken: refresh.state))
        return (access.token, refresh.token)
    }

    @Test("a code replay that lands between the first redemption and its ledger commit still revokes what the first exchange returns")
    func codeReplayBeforeCommit() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let now = Date()
        try store.insert(AuthorizationCodeRecord(
            codeHash: Secrets.hexDigest("raced-code"), issuerID: "contoso", clientID: "web", subject: "contoso-user-subject",
            redirectURI: ProviderFixture.redirect, scope: "openid offline_access api://mail/Mail.Read", resource: "api://mail",
            codeChallenge: ProviderFixture.challenge, nonce: nil, sessionID: Secrets.uuid(), authTime: now, expiresAt: now.addingTimeInterval(60)))
        // 1. The first exchange redeems the code (TokenEndpoint.authorizationCode).
        let chainID = Secrets.uuid()
        guard case .redeemed = try store.redeemCode(issuerID: "contoso", codeHash: Secrets.hexDigest("raced-code"), chainID: chainID, now: now) else {
            Issue.record("the first redemption failed"); return
        }
        // 2. The replay arrives before the first exchange has committed its tokens.
        guard case .replayed = try store.redeemCode(issuerID: "contoso", codeHash: Secrets.hexDigest("raced-code"), chainID: Secrets.uuid(), now: now) else {
            Issue.record("the replay was not detected"); return
        }
        // 3. The first exchange tries to commit its tokens: the ledger refuses them, so nothing is returned.
        await Self.expectChainRevoked(fixture, chainID: chainID, scope: "openid offline_access api://mail/Mail.Read")
    }

    /// The commit of a revoked chain's tokens must fail with `chain_revoked`, leaving nothing in the ledger.
    static func expectChainRevoked(_ fixture: ProviderFixture, chainID: String, scope: String) async {
        func chainRecords() -> Int { ((try? fixture.store.issuances(after: 0, limit: 10_000)) ?? []).filter { $0.chainID == chainID }.count }
        let before = chainRecords()
        do {
            _ = try await finishExchange(fixture, chainID: chainID, scope: scope)
            Issue.record("the ledger committed tokens of a chain revoked before the commit")
        } catch let error as StoreError {
            #expect(error.code == .chainRevoked)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(chainRecords() == before, "tokens of the revoked chain reached the ledger")
        #expect((try? fixture.store.refreshChain(issuerID: "contoso", chainID: chainID))?.allSatisfy { $0.revokedAt != nil } == true)
    }

    @Test("a refresh reuse that lands between the first spend and its ledger commit still revokes what the first spend returns")
    func refreshReuseBeforeCommit() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let refresh = try await fixture.app.test(.router) { client in
            try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso")["refresh_token"]?.stringValue)
        }
        let hash = Secrets.hexDigest(refresh)
        // 1. The legitimate client spends the refresh token (TokenEndpoint.refresh).
        guard case .exchanged(let spent) = try store.spendRefreshToken(issuerID: "contoso", tokenHash: hash, now: Date()) else {
            Issue.record("the first spend failed"); return
        }
        // 2. A stolen copy is presented before the first spend has committed its new tokens.
        guard case .reused = try store.spendRefreshToken(issuerID: "contoso", tokenHash: hash, now: Date()) else {
            Issue.record("the reuse was not detected"); return
        }
        // 3. The first spend tries to commit the chain's next tokens: refused, nothing is returned.
        await Self.expectChainRevoked(fixture, chainID: spent.chainID, scope: spent.scope)
    }
}
