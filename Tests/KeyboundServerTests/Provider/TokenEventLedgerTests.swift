import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundServer
import KeyboundStore
import Synchronization
import Testing

/// The token events the provider store records with each issued access token (in the ledger's
/// commit) and each revocation: one sequence per issuer for both, assigned in the write
/// transaction, access tokens only, public facts only.
@Suite("Provider store: token events")
struct TokenEventLedgerTests {
    static func jti(_ token: String) throws -> String {
        try #require(ProviderFixture.claims(token)["jti"]?.stringValue)
    }

    @Test("RFC 7009 revocation, refresh reuse and code replay each record events of the revoked access tokens, numbered per issuer")
    func eventsPerReason() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let observed = Mutex<[TokenEvent]>([])
        store.tokenEventsAppended.observe { events in observed.withLock { $0 += events } }
        try await fixture.app.test(.router) { client in
            let app = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            // A consumer realm issues no application tokens: a user's access token, issued to daemon.
            let consumersApp = try #require(try await ProviderFixture.codeFlow(client, issuer: "consumers", clientID: "daemon",
                                                                               authorization: ProviderRequests.daemon)["access_token"]?.stringValue)
            try await ProviderRequests.revoke(client, app, as: [], authorization: ProviderRequests.daemon)
            try await ProviderRequests.revoke(client, app, as: [], authorization: ProviderRequests.daemon)

            // A refresh chain with two access tokens, then the spent refresh token is reused.
            let first = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let refresh = try #require(first["refresh_token"]?.stringValue)
            let rotated = try ProviderFixture.json(try await ProviderRequests.refresh(client, refresh))
            #expect(try await ProviderRequests.refresh(client, refresh).status == .badRequest)

            // A replayed code.
            let code = try await ProviderRequests.code(client)
            let redeemed = try ProviderFixture.json(try await ProviderRequests.exchange(client, code: code))
            #expect(try await ProviderRequests.exchange(client, code: code).status == .badRequest)

            let all = try await store.tokenEvents(issuerID: "contoso", after: 0)
            #expect(all.map(\.sequence) == Array(1...Int64(all.count)), "one sequence, no gaps, nothing twice: \(all.map(\.sequence))")
            let events = all.filter { $0.reason != nil }
            #expect(events.map(\.reason) == [.clientRequest, .refreshTokenReuse, .refreshTokenReuse, .authorizationCodeReplay])
            let expected = [try Self.jti(app), try Self.jti(try #require(first["access_token"]?.stringValue)),
                            try Self.jti(try #require(rotated["access_token"]?.stringValue)),
                            try Self.jti(try #require(redeemed["access_token"]?.stringValue))]
            #expect(events.map(\.tokenID) == expected, "access tokens only: no ID token or refresh token events")
            #expect(events[0].audience == ["api://mail"])
            #expect(events[1].audience == ["api://mail", "https://id.keybound.test/contoso"])
            let appExp = try #require(ProviderFixture.claims(app)["exp"]?.numberValue)
            #expect(events[0].expiresAt.timeIntervalSince1970 == appExp)
            // Each revoked token's issuance came first, with the ledger's claims digest.
            for event in events {
                let issued = all.first { $0.tokenID == event.tokenID && $0.reason == nil }
                #expect(issued != nil && issued!.sequence < event.sequence)
                let digest = try store.issuance(issuerID: "contoso", tokenID: event.tokenID)?.claimsDigest
                #expect(issued?.change == digest.map { .issued(claimsDigest: $0) })
            }
            // The ID tokens were revoked too (the ledger check refuses them), without an event.
            let idJTI = try Self.jti(try #require(rotated["id_token"]?.stringValue))
            #expect(try store.revocation(issuerID: "contoso", tokenID: idJTI) != nil)
            // This process's observers were told of exactly the committed events.
            let toldContoso = observed.withLock { $0.filter { $0.issuerID == "contoso" } }
            #expect(toldContoso.map(\.sequence) == all.map(\.sequence))
            #expect(toldContoso.map(\.tokenID) == all.map(\.tokenID))
            // The other issuer's sequence is its own.
            await #expect(try store.tokenEvents(issuerID: "consumers", after: 0).map(\.reason) == [nil])
            try await ProviderRequests.revoke(client, consumersApp, as: [],
                                                                      authorization: ProviderRequests.daemon, issuer: "consumers")
            await #expect(try store.tokenEvents(issuerID: "consumers", after: 0).map(\.sequence) == [1, 2])
            #expect(try store.latestTokenEventSequence(issuerID: "contoso") == Int64(all.count))
            await #expect(try store.tokenEvents(issuerID: "contoso", after: 2).map(\.sequence) == Array(3...Int64(all.count)))
        }
    }

    @Test("concurrent revocations get distinct, gapless sequence numbers in commit order")
    func concurrentRevocations() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let count = 40
        let tokens = try await fixture.app.test(.router) { client in
            var tokens: [String] = []
            for _ in 0..<count {
                tokens.append(try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue))
            }
            return tokens
        }
        let ids = try tokens.map(Self.jti)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { try store.revokeToken(issuerID: "contoso", tokenID: id, reason: "test", kind: .administrative, now: Date()) }
            }
            try await group.waitForAll()
        }
        let all = try store.tokenEvents(issuerID: "contoso", after: 0, limit: 1_000)
        #expect(all.map(\.sequence) == Array(1...Int64(2 * count)))
        #expect(all.prefix(count).map(\.tokenID) == ids && all.prefix(count).allSatisfy { $0.reason == nil }, "issued first")
        let events = Array(all.suffix(count))
        #expect(Set(events.map(\.tokenID)) == Set(ids) && events.allSatisfy { $0.reason == .administrative })
        // Commit order: each later event was revoked no earlier than the one before.
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.at <= $1.at })
    }

    @Test("an expired or unknown token's revocation records no event; a fresh stream starts at the first live event")
    func expiredAndLive() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let tokens = try await fixture.app.test(.router) { client in
            [try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue),
             try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)]
        }
        try store.revokeToken(issuerID: "contoso", tokenID: "no-such-token", reason: "test", kind: .administrative, now: Date())
        try store.revokeToken(issuerID: "contoso", tokenID: try Self.jti(tokens[0]), reason: "test", kind: .administrative, now: Date().addingTimeInterval(3_600))
        await #expect(try store.tokenEvents(issuerID: "contoso", after: 0).map(\.reason) == [nil, nil], "the two issuances only")
        #expect(try store.firstLiveTokenEventSequence(issuerID: "contoso", now: Date()) == 1)
        try store.revokeToken(issuerID: "contoso", tokenID: try Self.jti(tokens[1]), reason: "test", kind: .administrative, now: Date())
        #expect(try store.firstLiveTokenEventSequence(issuerID: "contoso", now: Date()) == 1)
        #expect(try store.firstLiveTokenEventSequence(issuerID: "contoso", now: Date().addingTimeInterval(3_600)) == 4)
    }
}
