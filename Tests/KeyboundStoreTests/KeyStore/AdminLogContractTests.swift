import Foundation
import Keybound
@testable import KeyboundStore
import Testing

/// The admin log on both backends: one hash chain in commit order, per-issuer reads by exact
/// bytes, append-only in the database; and the chain's walk names the first entry that was
/// changed, removed or moved.
@Suite("Provider store: the admin log")
struct AdminLogContractTests {
    static func action(_ name: String, issuer: String?, target: String = "", at seconds: TimeInterval = 0, outcome: String = AdminAction.succeeded) -> AdminAction {
        AdminAction(at: StoreClock.at(seconds), actorIssuer: "https://id.keybound.test/operators", actorSubject: "root-sub",
                    action: name, issuerID: issuer, target: target, reason: "because", outcome: outcome)
    }

    @Test("entries chain in order, read back exactly, per issuer by exact bytes; the database refuses to change or delete one",
          arguments: StoreBackend.allCases)
    func chain(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let store = try fixture.openProviderStore()
        let first = try await store.appendAdminAction(Self.action("key.rotate", issuer: "contoso", at: 1))
        let second = try await store.appendAdminAction(Self.action("user.create", issuer: "fabrikam", target: "ada", at: 2))
        let third = try await store.appendAdminAction(Self.action("issuer.create", issuer: nil, at: 3, outcome: "refused 403 insufficient_scope"))
        #expect([first.sequence, second.sequence, third.sequence] == [1, 2, 3])
        #expect(first.previousHash == AdminLogChain.genesis)
        #expect(second.previousHash == first.hash && third.previousHash == second.hash)

        // Another node's store instance reads the same chain, field for field.
        let other = try fixture.openProviderStore()
        let all = try await other.adminLog(issuerID: nil, after: 0, limit: 10)
        #expect(all == [first, second, third])
        #expect(try await other.verifyAdminLog() == .intact(entries: 3))
        #expect(try await other.adminLog(issuerID: "contoso", after: 0, limit: 10) == [first])
        #expect(try await other.adminLog(issuerID: "Contoso", after: 0, limit: 10).isEmpty)
        #expect(try await other.adminLog(issuerID: nil, after: 1, limit: 1) == [second])
        let fourth = try await other.appendAdminAction(Self.action("key.revoke", issuer: "contoso", target: "k1", at: 4))
        #expect(fourth.sequence == 4 && fourth.previousHash == third.hash)

        for sql in ["UPDATE admin_log SET outcome = 'succeeded' WHERE sequence = 3", "DELETE FROM admin_log WHERE sequence = 4"] {
            await #expect(throws: (any Error).self, "\(sql)") { try await fixture.executeRaw(sql, file: SQLiteProviderStore.fileName) }
        }
        #expect(try await store.adminLog(issuerID: nil, after: 0, limit: 10).count == 4)
        #expect(try await store.verifyAdminLog() == .intact(entries: 4))
    }

    @Test("the walk of a log longer than a page (1,000 entries) goes a page at a time and checks every entry", arguments: StoreBackend.allCases)
    func longLog(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let store = try fixture.openProviderStore()
        for index in 0..<1_003 {
            try await store.appendAdminAction(Self.action("client.disable", issuer: "contoso", target: "c\(index)", at: Double(index)))
        }
        #expect(try await store.verifyAdminLog() == .intact(entries: 1_003))
    }

    @Test("an anchor kept outside catches what the chain alone cannot: the log cut back at its end, or rewritten and rehashed",
          arguments: StoreBackend.allCases)
    func anchors(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let store = try fixture.openProviderStore()
        for index in 0..<4 {
            try await store.appendAdminAction(Self.action("key.rotate", issuer: "contoso", at: Double(index)))
        }
        let (verdict, head) = try await store.walkAdminLog()
        #expect(verdict == .intact(entries: 4))
        let anchor = try #require(head.map { AdminLogAnchor(sequence: $0.sequence, hash: $0.hash) })
        #expect(anchor.sequence == 4 && AdminLogAnchor(anchor.text) == anchor)
        #expect(try await store.walkAdminLog(anchors: [anchor]).verdict == .intact(entries: 4))
        let wrong = AdminLogAnchor(sequence: 2, hash: String(repeating: "a", count: 64))
        #expect(try await store.walkAdminLog(anchors: [wrong]).verdict
            == .broken(sequence: 2, reason: "its hash is not the anchor's: the log was rewritten from here or before"))

        // Someone with write access drops the guard and cuts the last entry: the rest still chains.
        let dropGuard = backend == .sqlite ? "DROP TRIGGER admin_log_no_delete" : "DROP TRIGGER admin_log_append_only ON admin_log"
        try await fixture.executeRaw(dropGuard, file: SQLiteProviderStore.fileName)
        try await fixture.executeRaw("DELETE FROM admin_log WHERE sequence = 4", file: SQLiteProviderStore.fileName)
        #expect(try await store.verifyAdminLog() == .intact(entries: 3), "without an anchor the shorter log verifies")
        #expect(try await store.walkAdminLog(anchors: [anchor]).verdict
            == .broken(sequence: 4, reason: "the log ends at entry 3: it was cut back before this anchored entry"))
        for text in ["", "4", "0:\(anchor.hash)", "4:\(anchor.hash.uppercased())", "4:\(anchor.hash.dropLast())", "-1:\(anchor.hash)", "x:\(anchor.hash)"] {
            #expect(AdminLogAnchor(text) == nil, "\(text)")
        }
    }

    @Test("PostgreSQL: two nodes appending at once make one chain without a gap")
    func concurrentNodes() async throws {
        let fixture = try await StoreFixture(.postgres)
        defer { fixture.remove() }
        let nodes = [try fixture.openProviderStore(), try fixture.openProviderStore()]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                let node = nodes[index % 2]
                group.addTask { try await node.appendAdminAction(Self.action("client.disable", issuer: "contoso", target: "c\(index)", at: Double(index))) }
            }
            try await group.waitForAll()
        }
        let entries = try await nodes[0].adminLog(issuerID: nil, after: 0, limit: 100)
        #expect(entries.map(\.sequence) == Array(1...20))
        #expect(try await nodes[1].verifyAdminLog() == .intact(entries: 20))
    }

    @Test("the walk names the first entry changed, removed, inserted or moved")
    func walkFindsTampering() {
        var entries: [AdminLogEntry] = []
        for (index, name) in ["key.rotate", "user.create", "client.disable", "key.revoke"].enumerated() {
            entries.append(AdminLogChain.entry(after: entries.last.map { ($0.sequence, $0.hash) },
                                               action: Self.action(name, issuer: "contoso", at: Double(index))))
        }
        #expect(AdminLogChain.verify(entries) == .intact(entries: 4))

        var changed = entries
        var action = changed[1].action
        action.outcome = "refused 403 insufficient_scope"
        changed[1] = AdminLogEntry(sequence: 2, action: action, previousHash: changed[1].previousHash, hash: changed[1].hash)
        #expect(AdminLogChain.verify(changed) == .broken(sequence: 2, reason: "its fields do not hash to its recorded hash: it was changed"))

        // A changed entry with its own hash recomputed breaks the next link instead.
        var rehashed = entries
        rehashed[1] = AdminLogEntry(sequence: 2, action: action, previousHash: entries[1].previousHash,
                                    hash: AdminLogChain.hash(sequence: 2, previousHash: entries[1].previousHash, action: action))
        #expect(AdminLogChain.verify(rehashed) == .broken(sequence: 3, reason: "its previous hash is not the hash of entry 2"))

        var removed = entries
        removed.remove(at: 2)
        if case .broken(let sequence, _) = AdminLogChain.verify(removed) { #expect(sequence == 4) } else { Issue.record("a removal went unseen") }
        var moved = entries
        moved.swapAt(1, 2)
        if case .broken(let sequence, _) = AdminLogChain.verify(moved) { #expect(sequence == 3) } else { Issue.record("a move went unseen") }

        // No issuer and an empty issuer id hash differently.
        let none = Self.action("x", issuer: nil)
        let empty = Self.action("x", issuer: "")
        #expect(AdminLogChain.hash(sequence: 1, previousHash: AdminLogChain.genesis, action: none)
                != AdminLogChain.hash(sequence: 1, previousHash: AdminLogChain.genesis, action: empty))
    }
}
