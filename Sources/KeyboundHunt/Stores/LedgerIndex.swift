import Foundation
import GRDB
import KeyboundSQLite
import GRDBSQLite
import KeyboundStore

/// The issuance ledger as the hunt needs it: the set of issued claims digests (access and ID
/// tokens) in memory for the scan, and the full record of a `jti` when a finding must be explained.
final class LedgerIndex {
    let digests: DigestSet
    let store: SQLiteProviderStore
    private var cache: [String: IssuanceRecord?] = [:]

    private init(digests: DigestSet, store: SQLiteProviderStore) {
        self.digests = digests
        self.store = store
    }

    /// Reads every digest of `store`'s ledger through a read-only connection of its own.
    static func load(store: SQLiteProviderStore, seed: UInt64) throws(HuntError) -> LedgerIndex {
        guard FileManager.default.fileExists(atPath: store.path) else {
            throw HuntError(.ledgerUnavailable, "no issuance ledger at '\(store.path)'")
        }
        do {
            let queue = try SQLiteDatabase.openReadOnly(path: store.path)
            defer { try? queue.close() }
            let digests = try queue.read { db -> DigestSet in
                let estimate = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM issuance") ?? 0
                let set = DigestSet(seed: seed, capacity: max(1_024, estimate))
                let statement = try db.makeStatement(sql: "SELECT claims_digest FROM issuance WHERE kind <> 'refresh'")
                let handle = statement.sqliteStatement
                defer { sqlite3_reset(handle) }
                while true {
                    let code = sqlite3_step(handle)
                    if code == SQLITE_DONE { break }
                    guard code == SQLITE_ROW else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                    }
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

    /// The ledger record of `tokenID` (cached).
    func issuance(tokenID: String) throws(HuntError) -> IssuanceRecord? {
        if let cached = cache[tokenID] { return cached }
        do {
            let record = try store.issuanceOfAnyIssuer(tokenID: tokenID)
            cache[tokenID] = record
            return record
        } catch {
            throw HuntError(.ledgerUnavailable, "cannot read the issuance ledger: \(error.message)")
        }
    }
}
