import Foundation
import GRDB
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Logging
import Testing

/// Pruning of the provider store on an injected clock: expired authorization codes and client
/// assertion ids go, refresh chains go only when the whole chain is dead, and reuse detection and
/// the chain's lifetime cap still work for every live chain.
@Suite("Provider: pruning expired codes, assertion ids and dead refresh chains")
struct PruningTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let margin = PruneReport.defaultMargin

    static func store() throws -> (SQLiteProviderStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-prune-\(UUID().uuidString)")
        return (try SQLiteProviderStore(directory: directory), directory)
    }

    static func code(_ name: String, expiresAt: Date) -> AuthorizationCodeRecord {
        AuthorizationCodeRecord(codeHash: name, issuerID: "contoso", clientID: "web", subject: "s", redirectURI: "https://app.example/cb",
                                scope: "openid", resource: nil, codeChallenge: String(repeating: "a", count: 43), nonce: nil,
                                sessionID: "sid", authTime: t0, expiresAt: expiresAt)
    }

    static func refresh(_ id: String, chain: String, issuedAt: Date, lifetime: TimeInterval, parent: String? = nil) -> RefreshTokenRecord {
        RefreshTokenRecord(tokenHash: "hash-\(id)", tokenID: id, issuerID: "contoso", clientID: "web", subject: "s", scope: "openid offline_access",
                           resource: nil, chainID: chain, parentTokenID: parent, sessionID: "sid", authTime: issuedAt,
                           issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(lifetime))
    }

    static func insert(_ store: SQLiteProviderStore, _ tokens: [RefreshTokenRecord]) throws {
        try store.pool.write { db in for token in tokens { try SQLiteProviderStore.insert(db, refreshToken: token) } }
    }

    static func count(_ store: SQLiteProviderStore, _ table: String) throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    @Test("client assertion ids are kept until their expiry plus the margin, then pruned")
    func assertions() throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try store.recordAssertion(issuerID: "contoso", clientID: "signer", tokenID: "j1", expiresAt: Self.t0.addingTimeInterval(300)))
        #expect(try store.recordAssertion(issuerID: "contoso", clientID: "signer", tokenID: "j2", expiresAt: Self.t0.addingTimeInterval(7_200)))
        #expect(try store.prune(now: Self.t0.addingTimeInterval(300 + Self.margin - 1), margin: PruneReport.defaultMargin).clientAssertions == 0)
        // Still a replay within the margin.
        #expect(try store.recordAssertion(issuerID: "contoso", clientID: "signer", tokenID: "j1", expiresAt: Self.t0.addingTimeInterval(300)) == false)
        #expect(try store.prune(now: Self.t0.addingTimeInterval(300 + Self.margin), margin: PruneReport.defaultMargin).clientAssertions == 1)
        #expect(try Self.count(store, "client_assertion") == 1)
        #expect(try store.recordAssertion(issuerID: "contoso", clientID: "signer", tokenID: "j2", expiresAt: Self.t0.addingTimeInterval(7_200)) == false)
    }

    @Test("an unused code goes after expiry plus the margin; a redeemed one stays while its chain lives")
    func codes() throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        try store.insert(Self.code("unused", expiresAt: Self.t0.addingTimeInterval(60)))
        try store.insert(Self.code("redeemed", expiresAt: Self.t0.addingTimeInterval(60)))
        guard case .redeemed = try store.redeemCode(issuerID: "contoso", codeHash: "redeemed", chainID: "chain-c", now: Self.t0) else {
            Issue.record("the code was not redeemed"); return
        }
        let day: TimeInterval = 86_400
        try Self.insert(store, [Self.refresh("rc1", chain: "chain-c", issuedAt: Self.t0, lifetime: 14 * day)])

        #expect(try store.prune(now: Self.t0.addingTimeInterval(60 + Self.margin - 1), margin: PruneReport.defaultMargin).authorizationCodes == 0)
        #expect(try store.prune(now: Self.t0.addingTimeInterval(60 + Self.margin), margin: PruneReport.defaultMargin).authorizationCodes == 1)   // the unused one
        // Two days on, the redeemed code's chain still has a live refresh token: the code stays, and
        // a replay of it still revokes the chain.
        let later = Self.t0.addingTimeInterval(2 * day)
        #expect(try store.prune(now: later, margin: PruneReport.defaultMargin).authorizationCodes == 0)
        guard case .replayed = try store.redeemCode(issuerID: "contoso", codeHash: "redeemed", chainID: "other", now: later) else {
            Issue.record("the replay was not detected"); return
        }
        #expect(try store.refreshChain(issuerID: "contoso", chainID: "chain-c").allSatisfy { $0.revokedAt != nil })
        // Revoked more than the margin ago: the chain is dead, its code and tokens go.
        let report = try store.prune(now: later.addingTimeInterval(Self.margin), margin: PruneReport.defaultMargin)
        #expect(report.authorizationCodes == 1)
        #expect(report.refreshTokens == 1)
        #expect(try Self.count(store, "authorization_code") == 0)
    }

    @Test("a spent token of a live chain is kept, so reuse is still detected; a dead chain goes whole")
    func refreshChains() throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let day: TimeInterval = 86_400
        // Chain A: rotated daily; the first token is spent and, on day 20, expired, while the chain lives.
        var chainA: [RefreshTokenRecord] = []
        for index in 0..<20 {
            chainA.append(Self.refresh("a\(index)", chain: "chain-a", issuedAt: Self.t0.addingTimeInterval(Double(index) * day),
                                       lifetime: 14 * day, parent: index == 0 ? nil : "a\(index - 1)"))
        }
        // Chain B: one token, never used, expired on day 14.
        let chainB = [Self.refresh("b0", chain: "chain-b", issuedAt: Self.t0, lifetime: 14 * day)]
        try Self.insert(store, chainA + chainB)
        for index in 0..<19 {
            guard case .exchanged = try store.spendRefreshToken(issuerID: "contoso", tokenHash: "hash-a\(index)",
                                                                now: Self.t0.addingTimeInterval(Double(index + 1) * day)) else {
                Issue.record("a\(index) was not exchanged"); return
            }
        }
        let day20 = Self.t0.addingTimeInterval(20 * day)
        let report = try store.prune(now: day20, margin: PruneReport.defaultMargin)
        #expect(report.refreshTokens == 1, "only the dead chain B goes")
        #expect(try store.refreshToken(issuerID: "contoso", tokenHash: "hash-b0") == nil)
        // Every row of the live chain is kept: its first token dates the chain (lifetime cap)...
        #expect(try store.refreshChain(issuerID: "contoso", chainID: "chain-a").count == 20)
        #expect(try store.refreshChain(issuerID: "contoso", chainID: "chain-a").first?.issuedAt == Self.t0)
        // ...and a spent, unexpired token presented again is reuse: the chain is revoked.
        guard case .reused = try store.spendRefreshToken(issuerID: "contoso", tokenHash: "hash-a10", now: day20) else {
            Issue.record("reuse was not detected after pruning"); return
        }
        #expect(try store.refreshChain(issuerID: "contoso", chainID: "chain-a").allSatisfy { $0.revokedAt != nil })
        #expect(try store.prune(now: day20.addingTimeInterval(Self.margin - 1), margin: PruneReport.defaultMargin).refreshTokens == 0)
        #expect(try store.prune(now: day20.addingTimeInterval(Self.margin), margin: PruneReport.defaultMargin).refreshTokens == 20)
        #expect(try Self.count(store, "refresh_token") == 0)
        // What pruning never touches: the revocations.
        #expect(try Self.count(store, "chain_revocation") == 1)
    }

    @Test("an unrevoked chain goes only when every token expired more than the margin ago")
    func expiredChain() throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.insert(store, [Self.refresh("c0", chain: "chain-c", issuedAt: Self.t0, lifetime: 100),
                                Self.refresh("c1", chain: "chain-c", issuedAt: Self.t0.addingTimeInterval(50), lifetime: 100)])
        #expect(try store.prune(now: Self.t0.addingTimeInterval(150 + Self.margin - 1), margin: PruneReport.defaultMargin).refreshTokens == 0)
        #expect(try store.prune(now: Self.t0.addingTimeInterval(150 + Self.margin), margin: PruneReport.defaultMargin).refreshTokens == 2)
    }

    @Test("the pruning service prunes on its own clock")
    func service() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        try store.insert(Self.code("old", expiresAt: Self.t0))
        let clock = Self.t0.addingTimeInterval(Self.margin + 1)
        let service = PruningService(store: store, interval: .seconds(60), logger: Logger(label: "test"), now: { clock })
        await #expect(service.pruneOnce()?.authorizationCodes == 1)
        #expect(try Self.count(store, "authorization_code") == 0)
    }
}
