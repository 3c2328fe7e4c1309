import Foundation
internal import GRDB
internal import GRDBSQLite
internal import KeyboundSQLite
import KeyboundStore

/// The issuance ledger as the hunt needs it: the set of issued claims digests (access and ID
/// tokens) in memory for the scan, and, for the few forged-token findings, what the ledger holds
/// under their `jti`s (read before the report is built, by (issuer, jti)).
final class LedgerIndex: @unchecked Sendable {
    let digests: DigestSet
    let store: any ProviderStore
    /// What each explained `jti` is in the ledger: the claimed issuer's record, else another
    /// issuer's, else `nil` (filled by ``explain(_:directory:)``).
    private(set) var explained: [String: IssuanceRecord?] = [:]

    private init(digests: DigestSet, store: any ProviderStore) {
        self.digests = digests
        self.store = store
    }

    /// Reads every digest of `store`'s ledger: an SQLite ledger through a read-only connection of
    /// its own (the fast path), any other in pages through the store's protocol.
    static func load(store: any ProviderStore, seed: UInt64) async throws(HuntError) -> LedgerIndex {
        if let sqlite = store as? SQLiteProviderStore { return try loadSQLite(sqlite, seed: seed) }
        let set = DigestSet(seed: seed, capacity: 65_536)
        var after: Int64 = 0
        do {
            while true {
                let page = try await store.issuances(after: after, limit: 5_000)
                for record in page where record.kind != .refresh {
                    if let key = DigestKey.parse(record.claimsDigest) { set.insert(key) }
                }
                guard let last = page.last, page.count == 5_000 else { break }
                after = last.sequence
            }
        } catch {
            throw HuntError(.ledgerUnavailable, "cannot read the issuance ledger: \(error.message)")
        }
        return LedgerIndex(digests: set, store: store)
    }

    private static func loadSQLite(_ store: SQLiteProviderStore, seed: UInt64) throws(HuntError) -> LedgerIndex {
        guard FileManager.default.fileExists(atPath: store.path) else {
            throw HuntError(.ledgerUnavailable, "no issuance ledger at '\(store.path)'")
        }
        do {
            let queue = try SQLiteDatabase.openReadOnly(path: store.path)
            defer { try? queue.close() }
            let digests = try queue.read { db -> DigestSet in
                let estimate = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM issuance") ?? 0
                let set = DigestSet(seed: seed, capacity: max(1_024, estimate))
                try db.stepRows("SELECT claims_digest FROM issuance WHERE kind <> 'refresh'") { handle in
                    if let text = sqlite3_column_text(handle, 0),
                       let key = DigestKey.parse(UnsafeRawPointer(text), Int(sqlite3_column_bytes(handle, 0))) {
                        set.insert(key)
                    }
                }
                return set
            }
            return LedgerIndex(digests: digests, store: store)
        } catch {
            throw HuntError(.ledgerUnavailable, "cannot read the issuance ledger at '\(store.path)': \(error)")
        }
    }

    /// Looks up each (claimed issuer id, `jti`): under the claimed issuer first, then under every
    /// other issuer of `directory` (a `jti` another issuer issued explains a re-signed token).
    func explain(_ tokens: [(claimedIssuerID: String?, tokenID: String)], directory: HuntKeyDirectory) async throws(HuntError) {
        for (claimed, tokenID) in tokens where explained[tokenID] == nil {
            var found: IssuanceRecord?
            let order = (claimed.map { [$0] } ?? []) + directory.issuers.map(\.id).filter { $0 != claimed }
            do {
                for issuerID in order {
                    if let record = try await store.issuance(issuerID: issuerID, tokenID: tokenID) {
                        found = record
                        break
                    }
                }
            } catch {
                throw HuntError(.ledgerUnavailable, "cannot read the issuance ledger: \(error.message)")
            }
            explained[tokenID] = .some(found)
        }
    }

    /// The ledger record of `tokenID`, as ``explain(_:directory:)`` found it.
    func issuance(tokenID: String) -> IssuanceRecord? { explained[tokenID] ?? nil }
}
