import Foundation
import KeyboundStore
import Synchronization
import Testing

/// The provider store's contract, on both backends: one suite, SQLite and PostgreSQL.
///
/// Every lookup is (issuer, value) by exact bytes; grants change once; revocations append token
/// events numbered per issuer; the ledger refuses what must never be handed out.
// The limit guards against a hang. It also counts the wait for a PostgreSQL permit
// (`StoreFixture.postgresPermits`), which under the full suite\'s load the slow KEK-rotation
// cases can hold for two minutes or more. Passing full runs finished these suites at 490–575 s,
// and on 2026-12-07, with the VM slower (a whole run of 691 s), at more than 600: hence twenty
// minutes. A real hang still ends the run well inside CI's limit.
@Suite("Provider store contract", .timeLimit(.minutes(20)))
struct ProviderStoreContractTests {
    static let now = StoreClock.origin

    static func client(_ issuerID: String, _ clientID: String, method: ClientRecord.AuthenticationMethod = .clientSecretBasic) -> ClientRecord {
        ClientRecord(issuerID: issuerID, clientID: clientID, name: "App \(clientID)", authenticationMethod: method,
                     secretHash: method == .none ? nil : String(repeating: "ab", count: 32),
                     redirectURIs: method == .none ? ["https://app.example/cb"] : [],
                     grantTypes: method == .none ? ["authorization_code", "refresh_token"] : ["client_credentials"], createdAt: now)
    }

    static func user(_ issuerID: String, _ username: String, subject: String = UUID().uuidString) -> UserRecord {
        UserRecord(issuerID: issuerID, subject: subject, username: username, passwordHash: "hash", displayName: username,
                   email: nil, createdAt: now)
    }

    static func access(_ issuerID: String, jti: String = UUID().uuidString, chain: String? = nil, kid: String = "k1",
                       expiresAt: Date = now.addingTimeInterval(600), kind: IssuanceRecord.TokenKind = .access) -> IssuanceRecord {
        IssuanceRecord(issuerID: issuerID, keyID: kind == .refresh ? nil : kid, tokenID: jti, kind: kind, subject: "alice",
                       clientID: "web", audience: ["api://mail"], scope: "Mail.Read", roles: [], tenantID: nil, issuedAt: now,
                       expiresAt: expiresAt, parentTokenID: nil, sessionID: "sid", chainID: chain, grantType: "authorization_code",
                       claimsDigest: String(repeating: "0", count: 64))
    }

    static func refresh(_ issuerID: String, chain: String, hash: String = UUID().uuidString) -> RefreshTokenRecord {
        RefreshTokenRecord(tokenHash: hash, tokenID: "rt-\(hash)", issuerID: issuerID, clientID: "web", subject: "alice",
                           scope: "Mail.Read offline_access", resource: nil, chainID: chain, parentTokenID: nil, sessionID: "sid",
                           authTime: now, issuedAt: now, expiresAt: now.addingTimeInterval(86_400))
    }

    static func code(_ issuerID: String, hash: String) -> AuthorizationCodeRecord {
        AuthorizationCodeRecord(codeHash: hash, issuerID: issuerID, clientID: "web", subject: "alice", redirectURI: "https://app.example/cb",
                                scope: "openid", resource: nil, codeChallenge: String(repeating: "a", count: 43), nonce: nil,
                                sessionID: "sid", authTime: now, expiresAt: now.addingTimeInterval(60))
    }

    /// The store error `body` throws (fails the test when it throws none).
    static func storeError(_ body: () async throws -> Void) async -> StoreError? {
        do {
            try await body()
            Issue.record("expected a store error")
            return nil
        } catch let error as StoreError {
            return error
        } catch {
            Issue.record("expected a store error, got \(error)")
            return nil
        }
    }

    static func withStore(_ backend: StoreBackend, _ body: (StoreFixture, any ProviderStore) async throws -> Void) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        try await body(fixture, try fixture.openProviderStore())
    }

    @Test("clients and users are found only as (issuer, id) by exact bytes", arguments: StoreBackend.allCases)
    func directoryScoping(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { _, store in
            try await store.insert(Self.client("contoso", "mail-app"))
            #expect(try await store.client(issuerID: "contoso", clientID: "mail-app")?.name == "App mail-app")
            #expect(try await store.client(issuerID: "fabrikam", clientID: "mail-app") == nil, "another issuer's client")
            #expect(try await store.client(issuerID: "Contoso", clientID: "mail-app") == nil, "no case folding")
            let duplicate = await Self.storeError { try await store.insert(Self.client("contoso", "mail-app")) }
            #expect(duplicate?.code == .clientExists)
            try await store.insert(Self.client("fabrikam", "mail-app"))
            #expect(try await store.clients(issuerID: "fabrikam").map(\.issuerID) == ["fabrikam"])

            // "José" composed and decomposed: the same text to Swift, two names to Keybound.
            let composed = "jos\u{E9}", decomposed = "jose\u{301}"
            try await store.insert(Self.user("contoso", composed, subject: "sub-composed"))
            #expect(try await store.user(issuerID: "contoso", username: decomposed) == nil)
            try await store.insert(Self.user("contoso", decomposed, subject: "sub-decomposed"))
            #expect(try await store.user(issuerID: "contoso", username: decomposed)?.subject == "sub-decomposed")
            #expect(try await store.user(issuerID: "contoso", subject: "sub-composed")?.username.utf8.count == composed.utf8.count)
            #expect(try await store.user(issuerID: "fabrikam", subject: "sub-composed") == nil)
            let taken = await Self.storeError { try await store.insert(Self.user("contoso", composed)) }
            #expect(taken?.code == .userExists)

            var disabled = try #require(try await store.client(issuerID: "contoso", clientID: "mail-app"))
            disabled.isDisabled = true
            try await store.update(disabled)
            #expect(try await store.client(issuerID: "contoso", clientID: "mail-app")?.isDisabled == true)
            #expect(try await store.client(issuerID: "fabrikam", clientID: "mail-app")?.isDisabled == false)
            let missing = await Self.storeError { try await store.update(Self.client("northwind", "mail-app")) }
            #expect(missing?.code == .clientNotFound)
        }
    }

    @Test("a resource's server clients must be confidential clients of its own issuer", arguments: StoreBackend.allCases)
    func resourceServerClients(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { _, store in
            try await store.insert(Self.client("contoso", "mail-server"))
            try await store.insert(Self.client("contoso", "spa", method: .none))
            try await store.insert(Self.client("fabrikam", "fabrikam-server"))
            func resource(_ clients: [String]) -> ResourceRecord {
                ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read"], roles: [], serverClients: clients)
            }
            #expect(await Self.storeError { try await store.upsert(resource(["spa"])) }?.code == .invalidResource)
            #expect(await Self.storeError { try await store.upsert(resource(["fabrikam-server"])) }?.code == .invalidResource)
            #expect(try await store.resource(issuerID: "contoso", audience: "api://mail") == nil, "nothing stored on refusal")
            try await store.upsert(resource(["mail-server"]))
            #expect(try await store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == ["mail-server"])
            #expect(try await store.resources(issuerID: "fabrikam").isEmpty)
        }
    }

    @Test("a code is redeemed once; a replay revokes the chain it started and appends token events", arguments: StoreBackend.allCases)
    func codeReplay(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { _, store in
            try await store.insert(Self.code("contoso", hash: "code-1"))
            #expect(try await store.redeemCode(issuerID: "fabrikam", codeHash: "code-1", chainID: "c", now: Self.now) == .unknown)
            guard case .redeemed(let code) = try await store.redeemCode(issuerID: "contoso", codeHash: "code-1", chainID: "chain-1",
                                                                      now: Self.now) else {
                Issue.record("the first redemption must succeed")
                return
            }
            #expect(code.chainID == "chain-1")
            let token = Self.access("contoso", chain: "chain-1")
            try await store.commit(IssuanceEntry(records: [token], refreshToken: Self.refresh("contoso", chain: "chain-1")))
            let told = Mutex<[TokenEvent]>([])
            let observation = store.tokenEventsAppended.observe { events in told.withLock { $0 += events } }
            defer { observation.cancel() }
            guard case .replayed = try await store.redeemCode(issuerID: "contoso", codeHash: "code-1", chainID: "chain-2",
                                                            now: Self.now.addingTimeInterval(5)) else {
                Issue.record("the second redemption is a replay")
                return
            }
            #expect(try await store.revocation(issuerID: "contoso", tokenID: token.tokenID)?.reason == "authorization code replayed")
            #expect(try await store.refreshChain(issuerID: "contoso", chainID: "chain-1").allSatisfy { $0.revokedAt != nil })
            // The issuance, then the revocation, numbered by the issuer's one sequence.
            let events = try await store.tokenEvents(issuerID: "contoso", after: 0)
            #expect(events.map(\.tokenID) == [token.tokenID, token.tokenID] && events.map(\.sequence) == [1, 2])
            #expect(events.map(\.change) == [.issued(claimsDigest: token.claimsDigest), .revoked(.authorizationCodeReplay)])
            #expect(told.withLock { $0 } == Array(events.dropFirst()), "this process's observers hear of exactly the committed events")
            // A revoked chain takes no more tokens: a commit still in flight is refused.
            let late = await Self.storeError { try await store.commit(IssuanceEntry(records: [Self.access("contoso", chain: "chain-1")])) }
            #expect(late?.code == .chainRevoked)
        }
    }

    @Test("a refresh token is spent once; presenting it again revokes its chain", arguments: StoreBackend.allCases)
    func refreshReuse(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { _, store in
            let first = Self.refresh("contoso", chain: "chain-r", hash: "rt-hash-1")
            let access = Self.access("contoso", chain: "chain-r")
            try await store.commit(IssuanceEntry(records: [access], refreshToken: first))
            #expect(try await store.spendRefreshToken(issuerID: "fabrikam", tokenHash: "rt-hash-1", now: Self.now) == .unknown)
            guard case .exchanged(let spent) = try await store.spendRefreshToken(issuerID: "contoso", tokenHash: "rt-hash-1",
                                                                               now: Self.now.addingTimeInterval(1)) else {
                Issue.record("the first exchange must succeed")
                return
            }
            #expect(spent.spentAt == Self.now.addingTimeInterval(1))
            guard case .reused = try await store.spendRefreshToken(issuerID: "contoso", tokenHash: "rt-hash-1",
                                                                 now: Self.now.addingTimeInterval(2)) else {
                Issue.record("the second exchange is a reuse")
                return
            }
            #expect(try await store.revocation(issuerID: "contoso", tokenID: access.tokenID)?.reason == "refresh token reused")
            #expect(try await store.revocation(issuerID: "fabrikam", tokenID: access.tokenID) == nil)
            #expect(try await store.tokenEvents(issuerID: "contoso", after: 0).map(\.reason) == [nil, .refreshTokenReuse])
            if case .inactive = try await store.spendRefreshToken(issuerID: "contoso", tokenHash: "rt-hash-1",
                                                                   now: Self.now.addingTimeInterval(3)) {} else {
                Issue.record("a revoked token is inactive")
            }
        }
    }

    @Test("two nodes spending one refresh token at once: exactly one exchange, the other is a reuse", arguments: StoreBackend.allCases)
    func concurrentSpend(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { fixture, store in
            try await store.commit(IssuanceEntry(records: [], refreshToken: Self.refresh("contoso", chain: "chain-x", hash: "rt-x")))
            let nodes = [store, try fixture.openProviderStore()]
            let outcomes = try await withThrowingTaskGroup(of: RefreshExchange.self) { group in
                for node in nodes {
                    group.addTask { try await node.spendRefreshToken(issuerID: "contoso", tokenHash: "rt-x", now: Self.now) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .exchanged = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { if case .reused = $0 { true } else { false } }.count == 1)
        }
    }

    @Test("the ledger commits concurrent grants together; a duplicate or revoked chain fails only its own caller",
          arguments: StoreBackend.allCases)
    func ledgerGroupCommit(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { _, store in
            let taken = Self.access("contoso")
            try await store.commit(IssuanceEntry(records: [taken]))
            try await store.revokeChain(issuerID: "contoso", chainID: "dead-chain", reason: "test", now: Self.now)
            let entries: [IssuanceEntry] = (0..<40).map { index in
                switch index {
                case 7: IssuanceEntry(records: [Self.access("contoso", jti: taken.tokenID)])
                case 13: IssuanceEntry(records: [Self.access("contoso", chain: "dead-chain")])
                default: IssuanceEntry(records: [Self.access(index.isMultiple(of: 2) ? "contoso" : "fabrikam")])
                }
            }
            let failures = await withTaskGroup(of: (Int, StoreError.Code?).self) { group in
                for (index, entry) in entries.enumerated() {
                    group.addTask {
                        do {
                            try await store.commit(entry)
                            return (index, nil)
                        } catch {
                            return (index, (error as? StoreError)?.code ?? .storage)  // any other error fails the comparison below
                        }
                    }
                }
                return await group.reduce(into: [Int: StoreError.Code]()) { if let code = $1.1 { $0[$1.0] = code } }
            }
            #expect(failures == [7: .duplicateToken, 13: .chainRevoked])
            let ledger = try await store.issuances(after: 0, limit: 100)
            #expect(ledger.count == 39)
            #expect(Set(ledger.map(\.sequence)).count == 39 && ledger.map(\.sequence) == ledger.map(\.sequence).sorted())
            for (index, entry) in entries.enumerated() where failures[index] == nil {
                let record = entry.records[0]
                #expect(try await store.issuance(issuerID: record.issuerID, tokenID: record.tokenID)?.tokenID == record.tokenID)
                let other = record.issuerID == "contoso" ? "fabrikam" : "contoso"
                #expect(try await store.issuance(issuerID: other, tokenID: record.tokenID) == nil, "another issuer's ledger")
            }
        }
    }

    @Test("token events: issued and revoked live access tokens only, one sequence per issuer, the first revocation stands",
          arguments: StoreBackend.allCases)
    func tokenEvents(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { fixture, store in
            let live = (0..<3).map { _ in Self.access("contoso") }
            let expired = Self.access("contoso", expiresAt: Self.now.addingTimeInterval(-1))
            let idToken = Self.access("contoso", kind: .id)
            let elsewhere = Self.access("fabrikam")
            try await store.commit(IssuanceEntry(records: live + [expired, idToken, elsewhere]))
            let other = try fixture.openProviderStore()
            for (index, token) in (live + [expired, idToken]).enumerated() {
                let node = index.isMultiple(of: 2) ? store : other
                try await node.revokeToken(issuerID: "contoso", tokenID: token.tokenID, reason: "reason \(index)", kind: .administrative,
                                           now: Self.now)
            }
            try await store.revokeToken(issuerID: "contoso", tokenID: live[0].tokenID, reason: "again", now: Self.now.addingTimeInterval(9))
            try await store.revokeToken(issuerID: "fabrikam", tokenID: elsewhere.tokenID, reason: "f", now: Self.now)
            try await store.revokeToken(issuerID: "fabrikam", tokenID: live[1].tokenID, reason: "not fabrikam's token", now: Self.now)

            // Issued: the four access tokens (an expired one too: it was live when issued), not the ID
            // token; then revoked: the three live ones (the expired one's revocation records no event).
            let contoso = try await store.tokenEvents(issuerID: "contoso", after: 0)
            #expect(contoso.map(\.sequence) == Array(1...7))
            #expect(contoso.prefix(4).map(\.tokenID) == (live + [expired]).map(\.tokenID))
            #expect(contoso.prefix(4).map(\.change) == (live + [expired]).map { .issued(claimsDigest: $0.claimsDigest) })
            #expect(contoso.prefix(4).allSatisfy { $0.audience == live[0].audience && $0.at == live[0].issuedAt })
            #expect(contoso.suffix(3).map(\.tokenID) == live.map(\.tokenID) && contoso.suffix(3).allSatisfy { $0.reason == .administrative })
            #expect(try await store.tokenEvents(issuerID: "contoso", after: 1, limit: 1).map(\.sequence) == [2])
            #expect(try await store.tokenEvents(issuerID: "fabrikam", after: 0).map(\.tokenID) == [elsewhere.tokenID, elsewhere.tokenID])
            #expect(try await store.tokenEvents(issuerID: "fabrikam", after: 0).map(\.sequence) == [1, 2])
            #expect(try await store.latestTokenEventSequence(issuerID: "contoso") == 7)
            #expect(try await store.latestTokenEventSequence(issuerID: "northwind") == 0)
            #expect(try await store.revocation(issuerID: "contoso", tokenID: live[0].tokenID)?.reason == "reason 0")
            #expect(try await store.revocation(issuerID: "contoso", tokenID: idToken.tokenID) != nil)
            #expect(try await store.issuanceStatus(issuerID: "contoso", tokenID: live[2].tokenID)?.revocationReason == "reason 2")
            #expect(try await store.issuanceStatus(issuerID: "fabrikam", tokenID: live[2].tokenID) == nil)
            #expect(try await store.firstLiveTokenEventSequence(issuerID: "contoso", now: Self.now) == 1)
            #expect(try await store.firstLiveTokenEventSequence(issuerID: "contoso", now: Self.now.addingTimeInterval(3_600)) == 8)
            #expect(try await store.firstLiveTokenEventSequence(issuerID: "northwind", now: Self.now) == 1)
        }
    }

    @Test("two nodes revoking at once number one issuer's events without a gap", arguments: StoreBackend.allCases)
    func concurrentEvents(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { fixture, store in
            let tokens = (0..<24).map { _ in Self.access("contoso") }
            try await store.commit(IssuanceEntry(records: tokens))
            let nodes = [store, try fixture.openProviderStore()]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, token) in tokens.enumerated() {
                    let node = nodes[index % 2]
                    group.addTask {
                        try await node.revokeToken(issuerID: "contoso", tokenID: token.tokenID, reason: "r", kind: .incidentResponse, now: Self.now)
                    }
                }
                try await group.waitForAll()
            }
            let events = try await store.tokenEvents(issuerID: "contoso", after: 0)
            #expect(events.map(\.sequence) == Array(1...48))
            #expect(events.prefix(24).map(\.tokenID) == tokens.map(\.tokenID), "issued first, in ledger order")
            #expect(Set(events.suffix(24).map(\.tokenID)) == Set(tokens.map(\.tokenID)) && events.suffix(24).allSatisfy { $0.reason == .incidentResponse })
        }
    }

    @Test("a private_key_jwt assertion id is accepted once per (issuer, client)", arguments: StoreBackend.allCases)
    func assertionReplay(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { _, store in
            let expiry = Self.now.addingTimeInterval(300)
            #expect(try await store.recordAssertion(issuerID: "contoso", clientID: "signer", tokenID: "j1", expiresAt: expiry))
            #expect(try await store.recordAssertion(issuerID: "contoso", clientID: "signer", tokenID: "j1", expiresAt: expiry) == false)
            #expect(try await store.recordAssertion(issuerID: "fabrikam", clientID: "signer", tokenID: "j1", expiresAt: expiry))
            let report = try await store.prune(now: expiry.addingTimeInterval(PruneReport.defaultMargin))
            #expect(report.clientAssertions == 2)
            #expect(try await store.recordAssertion(issuerID: "contoso", clientID: "signer", tokenID: "j1", expiresAt: expiry))
        }
    }

    @Test("the database refuses to rewrite or delete the ledger, revocations and token events", arguments: StoreBackend.allCases)
    func appendOnly(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { fixture, store in
            let token = Self.access("contoso", chain: "chain-a")
            try await store.commit(IssuanceEntry(records: [token], refreshToken: Self.refresh("contoso", chain: "chain-a", hash: "rt-a")))
            try await store.revokeChain(issuerID: "contoso", chainID: "chain-a", reason: "test", now: Self.now)
            let refused = [
                "UPDATE issuance SET subject = 'mallory'",
                "DELETE FROM issuance",
                "UPDATE token_revocation SET reason = 'nothing happened'",
                "DELETE FROM token_revocation",
                "UPDATE chain_revocation SET reason = 'nothing happened'",
                "DELETE FROM chain_revocation",
                "UPDATE token_event SET reason = 'administrative'",
                "DELETE FROM token_event",
            ] + (backend == .postgres ? [
                // SQLite prunes the refresh tokens of dead chains; on PostgreSQL they are never deleted.
                "DELETE FROM refresh_token",
                "TRUNCATE issuance",
                "UPDATE refresh_token SET revoked_at = revoked_at + 1",
                "UPDATE refresh_token SET subject = 'mallory'",
            ] : [])
            for statement in refused {
                await #expect(throws: (any Error).self, "\(statement)") { try await fixture.executeRaw(statement, file: SQLiteProviderStore.fileName) }
            }
            #expect(try await store.issuance(issuerID: "contoso", tokenID: token.tokenID)?.subject == "alice")
            #expect(try await store.tokenEvents(issuerID: "contoso", after: 0).count == 2)
            #expect(try await store.refreshChain(issuerID: "contoso", chainID: "chain-a").count == 1)
        }
    }
}
