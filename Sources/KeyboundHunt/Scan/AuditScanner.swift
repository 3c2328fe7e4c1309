import Foundation

/// The hunt's single streaming pass over the audit log, in sequence order, one ``HuntScanRow`` at
/// a time (see ``SQLiteHuntSource`` for the SQLite fast path): values are read as bytes and never
/// become Swift strings on the hot path. Each token's (iss, kid) is interned exactly (a few hundred pairs: the table stays in cache); applications and
/// mailboxes are kept only as seeded 64-bit hashes in the first-time map. Nothing of a record is
/// kept but the sequence number of a flagged one (its details are read afterwards, by primary
/// key). Memory grows with the number of distinct (client, mailbox) pairs, never with the log.
///
/// Unchecked `Sendable`: one thread at a time uses it, the scan's and then, after the scan has
/// returned, the report builder's.
final class AuditScanner: @unchecked Sendable {
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
    private var scanned = 0
    private var inWindow = 0

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

    /// Reads one record, in sequence order.
    @inline(__always)
    func consume<Row: HuntScanRow>(_ row: Row) {
        let time = row.timeMilliseconds
        if scanned == 0 {
            scan.firstSequence = row.sequence
            logStartMS = time
        }
        scanned += 1
        if time > logEndMS { logEndMS = time }
        let counted = time >= sinceMS && time <= untilMS
        if counted { inWindow += 1 }
        observe(row, time: time, inWindow: counted)
    }

    /// Ends the pass; `lastSequence` is the last record's sequence number (`nil` for an empty log).
    func finish(lastSequence: Int64?) {
        scan.recordsScanned = scanned
        scan.recordsInWindow = inWindow
        if scanned > 0 { scan.lastSequence = lastSequence }
        scan.logStart = logStartMS.map(HuntTime.date(milliseconds:))
        if logEndMS > .min { scan.logEnd = HuntTime.date(milliseconds: logEndMS) }
    }

    /// How many findings and leads have been listed so far (a source that keeps the records it
    /// reads compares this before and after ``consume(_:)``).
    var listedCount: Int { findings.count + leads.count }

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
    private func digestInLedger<Row: HuntScanRow>(_ row: Row) -> Bool {
        let (digest, digestCount) = row.text(.digest)
        guard let parsed = DigestKey.parse(digest, digestCount) else { return false }
        return ledger.contains(parsed)
    }

    @inline(__always)
    private func observe<Row: HuntScanRow>(_ row: Row, time: Int64, inWindow: Bool) {
        let allowed = row.allowed
        let (issuer, issuerCount) = row.text(.issuer)
        let (kid, kidCount) = row.text(.keyID)
        var ref: Int32 = -1
        if allowed {
            // Read everything first, then probe the two large tables back to back, so their cache
            // misses overlap instead of following one another.
            let (digest, digestCount) = row.text(.digest)
            let (client, clientCount) = row.text(.clientID)
            let (mailbox, mailboxCount) = row.text(.mailbox)
            ref = keyRef(issuer, issuerCount, kid, kidCount)
            let fact = facts[Int(ref)]
            let judged = inWindow && fact.covered
            let digestKey = judged ? DigestKey.parse(digest, digestCount) : nil
            var pair: UInt64?
            if client != nil && mailbox != nil {
                // A served request's tenant is the token issuer's: the place is (issuer, tid, mailbox).
                // The issuer's two hashes were computed once, when its (iss, kid) was first interned.
                let (tenant, tenantCount) = row.text(.tenant)
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
                    if !issued { flag(.forgedToken, row, time, ref, inLedger: false) }
                } else if !fact.covered {
                    scan.recordsOfUnknownIssuers += 1
                }
                if fact.foreign { flag(.crossIssuerKey, row, time, ref, inLedger: nil) }
                if time > fact.revokedAt {
                    flag(.revokedKeyAccepted, row, time, ref, inLedger: nil)
                } else if time > fact.retiredAt {
                    flag(.inactiveKeyAccepted, row, time, ref, inLedger: nil)
                }
                if let previous { firstTimeAccess(row, time: time, previous: previous) }
            }
        } else if inWindow {
            let (code, codeCount) = row.text(.rejectionCode)
            if let code {
                switch codeCount {
                case 19 where Self.equal(code, codeCount, "issuer_key_mismatch"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    flag(.crossIssuerKey, row, time, ref, inLedger: nil)
                case 11 where Self.equal(code, codeCount, "key_revoked"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    flag(.revokedKeyUse, row, time, ref, inLedger: digestInLedger(row))
                case 14 where Self.equal(code, codeCount, "key_not_active"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    let inLedger = digestInLedger(row)
                    let expires = row.expiresMilliseconds ?? .max
                    if inLedger && expires < time {
                        scan.staleTokensOnInactiveKeys += 1
                    } else {
                        flag(.inactiveKeyUse, row, time, ref, inLedger: inLedger)
                    }
                case 16 where Self.equal(code, codeCount, "token_not_issued"),
                     21 where Self.equal(code, codeCount, "token_claims_mismatch"):
                    ref = keyRef(issuer, issuerCount, kid, kidCount)
                    if facts[Int(ref)].covered {
                        if !digestInLedger(row) { flag(.forgedToken, row, time, ref, inLedger: false) }
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
            if facts[Int(ref)].traced { trace(keyUse!, row, time: time, allowed: allowed, issuer: issuer, issuerCount: issuerCount) }
        }
    }

    /// Finding 1: one record naming the traced key.
    private func trace<Row: HuntScanRow>(_ keyUse: KeyUseAccumulator, _ row: Row, time: Int64, allowed: Bool, issuer: UnsafeRawPointer?,
                       issuerCount: Int) {
        func value(_ column: HuntScanColumn, seed: UInt64) -> KeyUseAccumulator.Value {
            let (bytes, count) = row.text(column)
            return KeyUseAccumulator.Value(hash: HuntHash.bytes(bytes, count, seed: seed), bytes: bytes, count: count)
        }
        let issuerValue = KeyUseAccumulator.Value(hash: HuntHash.bytes(issuer, issuerCount, seed: seed), bytes: issuer, count: issuerCount)
        // A tenant is (issuer, tid): its issuer is the recorded tenant issuer, or the token's; a
        // refused token's tenant is only a claim, and is grouped apart from verified ones.
        let verified = row.verified
        var tenantIssuer = value(.tenantIssuer, seed: ~seed)
        if tenantIssuer.bytes == nil {
            tenantIssuer = KeyUseAccumulator.Value(hash: HuntHash.bytes(issuer, issuerCount, seed: ~seed), bytes: issuer, count: issuerCount)
        }
        let pair = value(.tenant, seed: tenantIssuer.hash)
        let tenant = KeyUseAccumulator.Value(hash: verified ? pair.hash : HuntHash.mix(pair.hash ^ 0x5A5A), bytes: pair.bytes, count: pair.count)
        let tenantName = { () -> String? in
            guard let tid = tenant.string else { return nil }
            return "\(tid) of \(tenantIssuer.string ?? "no iss")\(verified ? "" : " (claimed by refused tokens)")"
        }
        // A mailbox is one place whoever aimed at it: keyed by (issuer, tid, mailbox), verified or not.
        let mailbox = value(.mailbox, seed: pair.hash)
        let client = value(.clientID, seed: issuerValue.hash)
        keyUse.add(allowed: allowed, time: time, tenant: tenant, tenantName: tenantName(), mailbox: mailbox.bytes == nil ? nil : mailbox,
                   mailboxName: mailbox.string,
                   issuer: issuerValue, client: client.bytes == nil ? nil : client,
                   clientName: client.string.map { "\($0) (\(issuerValue.string ?? "no iss"))" },
                   code: allowed ? nil : value(.rejectionCode, seed: seed &+ 5)) {
            let (items, count) = row.text(.itemIDs)
            return items.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) }
        }
    }

    /// Finding 4: the pair's first allowed access in the look-back window (`previous` is its last
    /// access before, if any), if the log covers the whole window before it.
    @inline(__always)
    private func firstTimeAccess<Row: HuntScanRow>(_ row: Row, time: Int64, previous: Int64?) {
        if let previous, time - previous <= lookbackMS { return }
        guard let logStartMS, time - lookbackMS >= logStartMS else { return }
        leadCount += 1
        if leads.count < maximumListed {
            leads.append(LeadCandidate(sequence: row.sequence, time: time, previous: previous))
        }
    }

    private func flag<Row: HuntScanRow>(_ kind: HuntFinding.Kind, _ row: Row, _ time: Int64, _ keyRef: Int32, inLedger: Bool?) {
        let index = HuntFinding.Kind.allCases.firstIndex(of: kind)!
        counts[index] += 1
        if counts[index] <= maximumListed {
            findings.append(FindingCandidate(kind: kind, sequence: row.sequence, time: time,
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
