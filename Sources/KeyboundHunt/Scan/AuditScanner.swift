import Foundation
import GRDB
import GRDBSQLite

/// The hunt's single streaming pass over `audit_record`, in sequence order.
///
/// One `SELECT` of the columns the rules need, stepped with the SQLite C API: values are read as
/// the bytes SQLite hands out and never become Swift strings on the hot path. Each token's
/// (iss, kid) is interned exactly (a few hundred pairs: the table stays in cache); applications and
/// mailboxes are kept only as seeded 64-bit hashes in the first-time map. Nothing of a record is
/// kept but the sequence number of a flagged one (its details are read afterwards, by primary
/// key). Memory grows with the number of distinct (client, mailbox) pairs, never with the log.
final class AuditScanner {
    private enum Column {
        static let sequence: Int32 = 0, time: Int32 = 1, allowed: Int32 = 2, rejectionCode: Int32 = 3, digest: Int32 = 4
        static let issuer: Int32 = 5, keyID: Int32 = 6, clientID: Int32 = 7, tenant: Int32 = 8, mailbox: Int32 = 9
        static let expires: Int32 = 10, tenantIssuer: Int32 = 11, verified: Int32 = 12, itemIDs: Int32 = 13
    }

    /// The columns the scan reads. SQLite extracts every column of the `SELECT` for every row, read
    /// or not, so the two that only tracing a key needs (the tenant issuer and the attribution) and
    /// the item ids are selected only then. A log of format 1 (no tenant issuer, no attribution)
    /// reads them as `NULL`, which the scan takes as "the token's issuer" and "verified only if allowed".
    static func selectSQL(format2: Bool, tracing: Bool) -> String {
        let tenantColumns = format2 ? "tenant_issuer, attribution = 'verified' OR (attribution IS NULL AND verdict = 'allowed')"
                                    : "NULL, verdict = 'allowed'"
        return """
            SELECT sequence, time_ms, verdict = 'allowed', rejection_code, claims_digest, token_iss, token_kid, client_id, tenant,
                   mailbox, token_exp_ms\(tracing ? ", \(tenantColumns), item_ids" : "") FROM audit_record ORDER BY sequence
            """
    }

    let sinceMS: Int64
    let untilMS: Int64
    let lookbackMS: Int64
    let maximumListed: Int
    let directory: HuntKeyDirectory
    let ledger: DigestSet
    let keyUse: KeyUseAccumulator?
    private let tracing: Bool
    private let seed: UInt64

    /// (iss, kid) of every token seen, exactly.
    let keyPairs: PairInterner
    /// (application, mailbox) hash → last allowed access (ms).
    private let lastSeen: LastSeenMap
    private(set) var facts: [KeyFacts] = []

    private(set) var findings: [FindingCandidate] = []
    private(set) var counts = [Int](repeating: 0, count: HuntFinding.Kind.allCases.count)
    private(set) var leads: [LeadCandidate] = []
    private(set) var leadCount = 0
    private(set) var scan = HuntReport.Scan()
    private var logStartMS: Int64?
    private var logEndMS = Int64.min

    init(configuration: HuntConfiguration, directory: HuntKeyDirectory, ledger: DigestSet, seed: UInt64) {
        sinceMS = configuration.since.map(HuntTime.milliseconds) ?? .min
        untilMS = configuration.until.map(HuntTime.milliseconds) ?? .max
        lookbackMS = Int64((configuration.lookback * 1_000).rounded())
        maximumListed = configuration.maximumListed
        self.directory = directory
        self.ledger = ledger
        self.seed = seed
        keyUse = configuration.key.map { KeyUseAccumulator(keyID: $0.keyID) }
        tracing = configuration.key != nil
        keyPairs = PairInterner(seed: seed, capacity: 256)
        lastSeen = LastSeenMap(seed: seed &+ 3, capacity: 65_536)
    }

    /// Reads every record of `db`'s audit log once.
    func run(_ db: Database) throws {
        let format2 = try db.columns(in: "audit_record").contains { $0.name == "tenant_issuer" }
        let sql = Self.selectSQL(format2: format2, tracing: keyUse != nil)
        let statement = try db.makeStatement(sql: sql)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        var scanned = 0, inWindow = 0
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let time = sqlite3_column_int64(handle, Column.time)
            if scanned == 0 {
                scan.firstSequence = sqlite3_column_int64(handle, Column.sequence)
                logStartMS = time
            }
            scanned += 1
            if time > logEndMS { logEndMS = time }
            let counted = time >= sinceMS && time <= untilMS
            if counted { inWindow += 1 }
            observe(handle, time: time, inWindow: counted)
        }
        scan.recordsScanned = scanned
        scan.recordsInWindow = inWindow
        if scanned > 0 {
            // The last row is gone once stepped past; read the last sequence number directly.
            scan.lastSequence = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit_record")
        }
        scan.logStart = logStartMS.map(HuntTime.date(milliseconds:))
        if logEndMS > .min { scan.logEnd = HuntTime.date(milliseconds: logEndMS) }
    }

    /// A text column's bytes, as stored: one `sqlite3_column_value` and the value's pointer and
    /// length (no NUL terminator is added, so SQLite copies nothing); `nil` for `NULL`. An empty
    /// string gets a non-nil base.
    @inline(__always)
    private func text(_ handle: OpaquePointer, _ column: Int32) -> (UnsafeRawPointer?, Int) {
        let value = sqlite3_column_value(handle, column)
        guard let pointer = sqlite3_value_blob(value) else {
            return sqlite3_value_type(value) == SQLITE_NULL ? (nil, 0) : (UnsafeRawPointer(bitPattern: 1), 0)
        }
        return (pointer, Int(sqlite3_value_bytes(value)))
    }

    @inline(__always)
    private func keyRef(_ issuer: UnsafeRawPointer?, _ issuerCount: Int, _ kid: UnsafeRawPointer?, _ kidCount: Int) -> Int32 {
        let (id, isNew) = keyPairs.id(issuer, issuerCount, kid, kidCount)
        if isNew {
            // Hashed from the bytes as read (exactly), not from the interned string (which repairs invalid UTF-8).
            facts.append(makeFacts(id, applicationSeed: HuntHash.bytes(issuer, issuerCount, seed: seed),
                                   tenantSeed: HuntHash.bytes(issuer, issuerCount, seed: ~seed)))
        }
        return id
    }

    @inline(__always)
    private func digestInLedger(_ handle: OpaquePointer) -> Bool {
        let (digest, digestCount) = text(handle, Column.digest)
        guard let parsed = DigestKey.parse(digest, digestCount) else { return false }
        return ledger.contains(parsed)
    }

    @inline(__always)
    private func observe(_ handle: OpaquePointer, time: Int64, inWindow: Bool) {
        // `verdict = 'allowed'`, computed by SQLite: 1, 0 (or NULL, never stored).
        let allowed = sqlite3_column_int64(handle, Column.allowed) == 1
        let (issuer, issuerCount) = text(handle, Column.issuer)
        let (kid, kidCount) = text(handle, Column.keyID)
        var ref: Int32 = -1
        if allowed {
            // Read everything first, then probe the two large tables back to back, so their cache
            // misses overlap instead of following one another.
            let (digest, digestCount) = text(handle, Column.digest)
            let (client, clientCount) = text(handle, Column.clientID)
            let (mailbox, mailboxCount) = text(handle, Column.mailbox)
            ref = keyRef(issuer, issuerCount, kid, kidCount)
            let fact = facts[Int(ref)]
            let judged = inWindow && fact.covered
            let digestKey = judged ? DigestKey.parse(digest, digestCount) : nil
            var pair: UInt64?
            if client != nil && mailbox != nil {
                // A served request's tenant is the token issuer's: the place is (issuer, tid, mailbox).
                // The issuer's two hashes were computed once, when its (iss, kid) was first interned.
                let (tenant, tenantCount) = text(handle, Column.tenant)
                let application = HuntHash.bytes(client, clientCount, seed: fact.applicationSeed)
                let tenantPlace = HuntHash.bytes(tenant, tenantCount, seed: fact.tenantSeed)
                let place = HuntHash.bytes(mailbox, mailboxCount, seed: tenantPlace)
                let combined = HuntHash.mix(application ^ HuntHash.rotate(place, 23))
                pair = combined == .max ? .max - 1 : combined
            }
            let issued = digestKey.map { ledger.contains($0) } ?? false
            let previous = pair.map { lastSeen.update($0, time) }
            if inWindow {
                if judged {
                    if !issued { flag(.forgedToken, handle, time, ref, inLedger: false) }
                } else if !fact.covered {
                    scan.recordsOfUnknownIssuers += 1
                }
                if fact.foreign { flag(.crossIssuerKey, handle, time, ref, inLedger: nil) }
                if time > fact.revokedAt {
                    flag(.revokedKeyAccepted, handle, time, ref, inLedger: nil)
                } else if time > fact.retiredAt {
                    flag(.inactiveKeyAccepted, handle, time, ref, inLedger: nil)
                }
                if let previous { firstTimeAccess(handle, time: time, previous: previous) }
            }
        } else if inWindow {
            let (code, codeCount) = text(handle, Column.rejectionCode)
            if let code {
                switch codeCount {
                case 19 where Self.equal(code, codeCount, "issuer_key_mismatch"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    flag(.crossIssuerKey, handle, time, ref, inLedger: nil)
                case 11 where Self.equal(code, codeCount, "key_revoked"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    flag(.revokedKeyUse, handle, time, ref, inLedger: digestInLedger(handle))
                case 14 where Self.equal(code, codeCount, "key_not_active"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    let inLedger = digestInLedger(handle)
                    let expires = sqlite3_column_type(handle, Column.expires) == SQLITE_INTEGER
                        ? sqlite3_column_int64(handle, Column.expires) : Int64.max
                    if inLedger && expires < time {
                        scan.staleTokensOnInactiveKeys += 1
                    } else {
                        flag(.inactiveKeyUse, handle, time, ref, inLedger: inLedger)
                    }
                case 16 where Self.equal(code, codeCount, "token_not_issued"),
                     21 where Self.equal(code, codeCount, "token_claims_mismatch"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    if facts[Int(ref)].covered {
                        if !digestInLedger(handle) { flag(.forgedToken, handle, time, ref, inLedger: false) }
                    } else {
                        scan.recordsOfUnknownIssuers += 1
                    }
                default:
                    break
                }
            }
        }
        if tracing && inWindow {
            if ref < 0 { ref = keyRef(issuer, issuerCount, kid, kidCount) }
            if facts[Int(ref)].traced { trace(keyUse!, handle, time: time, allowed: allowed, issuer: issuer, issuerCount: issuerCount) }
        }
    }

    /// Finding 1: one record naming the traced key.
    private func trace(_ keyUse: KeyUseAccumulator, _ handle: OpaquePointer, time: Int64, allowed: Bool, issuer: UnsafeRawPointer?,
                       issuerCount: Int) {
        func value(_ column: Int32, seed: UInt64) -> KeyUseAccumulator.Value {
            let (bytes, count) = text(handle, column)
            return KeyUseAccumulator.Value(hash: HuntHash.bytes(bytes, count, seed: seed), bytes: bytes, count: count)
        }
        let issuerValue = KeyUseAccumulator.Value(hash: HuntHash.bytes(issuer, issuerCount, seed: seed), bytes: issuer, count: issuerCount)
        // A tenant is (issuer, tid): its issuer is the recorded tenant issuer, or the token's; a
        // refused token's tenant is only a claim, and is grouped apart from verified ones.
        let verified = sqlite3_column_int64(handle, Column.verified) == 1
        var tenantIssuer = value(Column.tenantIssuer, seed: ~seed)
        if tenantIssuer.bytes == nil {
            tenantIssuer = KeyUseAccumulator.Value(hash: HuntHash.bytes(issuer, issuerCount, seed: ~seed), bytes: issuer, count: issuerCount)
        }
        let pair = value(Column.tenant, seed: tenantIssuer.hash)
        let tenant = KeyUseAccumulator.Value(hash: verified ? pair.hash : HuntHash.mix(pair.hash ^ 0x5A5A), bytes: pair.bytes, count: pair.count)
        let tenantName = { () -> String? in
            guard let tid = tenant.string else { return nil }
            return "\(tid) of \(tenantIssuer.string ?? "no iss")\(verified ? "" : " (claimed by refused tokens)")"
        }
        // A mailbox is one place whoever aimed at it: keyed by (issuer, tid, mailbox), verified or not.
        let mailbox = value(Column.mailbox, seed: pair.hash)
        let client = value(Column.clientID, seed: issuerValue.hash)
        keyUse.add(allowed: allowed, time: time, tenant: tenant, tenantName: tenantName(), mailbox: mailbox.bytes == nil ? nil : mailbox,
                   mailboxName: mailbox.string,
                   issuer: issuerValue, client: client.bytes == nil ? nil : client,
                   clientName: client.string.map { "\($0) (\(issuerValue.string ?? "no iss"))" },
                   code: allowed ? nil : value(Column.rejectionCode, seed: seed &+ 5)) {
            let (items, count) = self.text(handle, Column.itemIDs)
            return items.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) }
        }
    }

    /// Finding 4: the pair's first allowed access in the look-back window (`previous` is its last
    /// access before, if any), if the log covers the whole window before it.
    @inline(__always)
    private func firstTimeAccess(_ handle: OpaquePointer, time: Int64, previous: Int64?) {
        if let previous, time - previous <= lookbackMS { return }
        guard let logStartMS, time - lookbackMS >= logStartMS else { return }
        leadCount += 1
        if leads.count < maximumListed {
            leads.append(LeadCandidate(sequence: sqlite3_column_int64(handle, Column.sequence), time: time, previous: previous))
        }
    }

    private func flag(_ kind: HuntFinding.Kind, _ handle: OpaquePointer, _ time: Int64, _ keyRef: Int32, inLedger: Bool?) {
        let index = HuntFinding.Kind.allCases.firstIndex(of: kind)!
        counts[index] += 1
        if counts[index] <= maximumListed {
            findings.append(FindingCandidate(kind: kind, sequence: sqlite3_column_int64(handle, Column.sequence), time: time,
                                             keyRef: keyRef, inLedger: inLedger))
        }
    }

    @inline(__always)
    private static func equal(_ bytes: UnsafeRawPointer, _ count: Int, _ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && memcmp(bytes, literal.utf8Start, count) == 0
    }

    /// The facts of interned (iss, kid) pair `id`.
    private func makeFacts(_ id: Int32, applicationSeed: UInt64, tenantSeed: UInt64) -> KeyFacts {
        let (issuerURL, kid) = keyPairs.strings(id)
        let traced = kid != nil && kid == keyUse?.keyID
        var facts = KeyFacts(covered: false, revokedAt: .max, retiredAt: .max, foreign: false, traced: traced,
                             applicationSeed: applicationSeed, tenantSeed: tenantSeed)
        guard let issuerURL, let issuer = directory.issuer(url: issuerURL) else { return facts }
        facts.covered = true
        guard let kid, let key = directory.key(issuerID: issuer.id, keyID: kid) else {
            facts.foreign = kid.map { !directory.keys(keyID: $0).isEmpty } ?? false
            return facts
        }
        facts.revokedAt = key.revokedAt.map(HuntTime.milliseconds) ?? .max
        facts.retiredAt = key.retiredAt.map(HuntTime.milliseconds) ?? .max
        return facts
    }
}
