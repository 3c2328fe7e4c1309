import Foundation
import KeyboundAudit
import KeyboundStore

/// Turns the scan's candidates into findings and leads with their records and explanations.
struct HuntReportBuilder {
    let configuration: HuntConfiguration
    let directory: HuntKeyDirectory
    let ledger: LedgerIndex
    let scanner: AuditScanner
    let records: [Int64: AuditRecord]

    mutating func build() throws(HuntError) -> HuntReport {
        var findings: [HuntFinding] = []
        for candidate in scanner.findings {
            guard let record = records[candidate.sequence] else { continue }
            findings.append(try finding(candidate, record))
        }
        findings.sort { ($0.record.sequence, $0.kind) < ($1.record.sequence, $1.kind) }
        let leads = scanner.leads.compactMap { candidate -> HuntLead? in
            guard let record = records[candidate.sequence] else { return nil }
            return HuntLead(record: record, clientIssuer: record.tokenIssuer, clientID: record.clientID ?? "", tenant: record.tenant,
                            mailbox: record.resource ?? "", previousAccess: candidate.previous.map(HuntTime.date(milliseconds:)))
        }
        var counts: [HuntFinding.Kind: Int] = [:]
        for (index, kind) in HuntFinding.Kind.allCases.enumerated() where scanner.counts[index] > 0 {
            counts[kind] = scanner.counts[index]
        }
        let events = directory.events.filter { event in
            event.kind != .resealed && configuration.since.map { event.at >= $0 } ?? true && configuration.until.map { event.at <= $0 } ?? true
        }
        var report = HuntReport(
            generatedAt: configuration.now, since: configuration.since, until: configuration.until, lookback: configuration.lookback,
            scan: scanner.scan, findings: findings, findingCounts: counts, leads: leads, leadCount: scanner.leadCount,
            keyUse: keyUse(), keyEvents: events, notes: [])
        report.notes = notes(report)
        return report
    }

    private func keyUse() -> HuntKeyUse? {
        guard let selector = configuration.key, let accumulator = scanner.keyUse else { return nil }
        let issuer = directory.issuer(id: selector.issuer) ?? directory.issuer(url: selector.issuer)
        let key = issuer.flatMap { directory.key(issuerID: $0.id, keyID: selector.keyID) }
        return accumulator.result(issuer: selector.issuer, issuerURL: issuer?.url, issuerID: issuer?.id, keyState: key?.state.rawValue,
                                  keyRevokedAt: key?.revokedAt)
    }

    private mutating func finding(_ candidate: FindingCandidate, _ record: AuditRecord) throws(HuntError) -> HuntFinding {
        let claimed = record.tokenIssuer.flatMap(directory.issuer(url:))
        let kid = record.tokenKeyID
        let key = claimed.flatMap { issuer in kid.flatMap { directory.key(issuerID: issuer.id, keyID: $0) } }
        var owners: [String] = []
        if let kid { owners = directory.keys(keyID: kid).map(\.issuerID).filter { owner in owner != claimed?.id } }
        var finding = HuntFinding(kind: candidate.kind, record: record, reason: "", reasonCode: record.rejectionCode ?? "",
                                  claimedIssuerID: claimed?.id, keyOwnerIssuerIDs: owners, keyState: key?.state.rawValue,
                                  keyRevokedAt: key?.revokedAt, tokenInLedger: candidate.inLedger)
        finding.keyPurpose = key?.purpose.rawValue
        let served = record.verdict == .allowed ? "ACCEPTED" : "refused (\(record.rejectionCode ?? "denied"))"
        let keyName = "\(key?.purpose == .idToken ? "ID-token key" : "key") \(kid ?? "(no kid)")"
        switch candidate.kind {
        case .forgedToken:
            try explainForgery(&finding, record: record, claimed: claimed, served: served)
        case .crossIssuerKey:
            let owner = owners.isEmpty ? "another issuer" : "issuer \(owners.joined(separator: ", "))"
            finding.reasonCode = record.verdict == .allowed ? "accepted_with_foreign_key" : "issuer_key_mismatch"
            finding.reason = "token claims \(record.tokenIssuer ?? "no issuer") but is signed with \(keyName) of \(owner): \(served)"
        case .revokedKeyUse:
            finding.reason = "\(keyName) was revoked\(key?.revokedAt.map { " at \(HuntTime.iso($0))" } ?? "")"
                + (key?.revocationReason.map { " (\($0))" } ?? "") + ": \(served)"
                + (candidate.inLedger == true ? "; the token itself was genuinely issued (probably its own client, still holding it)" : "")
        case .inactiveKeyUse:
            finding.reason = "\(keyName) is not active for this token (key state \(key?.state.rawValue ?? "unknown")): \(served)"
                + (candidate.inLedger == false ? "; the token is not in the ledger" : "")
        case .revokedKeyAccepted:
            let after = key?.revokedAt.map { record.time.timeIntervalSince($0) } ?? 0
            finding.reasonCode = "accepted_after_revocation"
            finding.reason = "\(keyName) was revoked at \(key?.revokedAt.map(HuntTime.iso) ?? "?"), yet this token was ACCEPTED \(HuntTime.duration(after)) later: a validator still trusted the key"
        case .inactiveKeyAccepted:
            finding.reasonCode = "accepted_after_retirement"
            finding.reason = "\(keyName) was retired at \(key?.retiredAt.map(HuntTime.iso) ?? "?"), yet this token was ACCEPTED after it"
        }
        return finding
    }

    private mutating func explainForgery(_ finding: inout HuntFinding, record: AuditRecord, claimed: IssuerRecord?, served: String) throws(HuntError) {
        let issuerName = claimed.map { "issuer \($0.id)" } ?? "the issuer"
        guard let digest = record.claimsDigest, DigestKey.parse(digest) != nil else {
            finding.reasonCode = "no_claims_digest"
            finding.reason = "the record has no claims digest to match against the ledger: \(served)"
            return
        }
        guard let jti = record.tokenID else {
            finding.reasonCode = "no_jti"
            finding.reason = "the token has no jti, and every token Keybound issues has one: \(served)"
            return
        }
        guard let issued = ledger.issuance(tokenID: jti) else {
            finding.reasonCode = "not_issued"
            finding.reason = "\(issuerName) never issued a token with jti \(jti), yet its signature verified: someone holds a real signing key. \(served)"
            return
        }
        if let claimed, issued.issuerID != claimed.id {
            finding.reasonCode = "issued_by_other_issuer"
            finding.reason = "jti \(jti) was issued by issuer \(issued.issuerID), not by \(claimed.id): \(served)"
            return
        }
        finding.reasonCode = "claims_differ"
        finding.reason = "a token with jti \(jti) was issued to \(issued.clientID) at \(HuntTime.iso(issued.issuedAt)), but with other claims (altered and re-signed): \(served)"
    }

    private func notes(_ report: HuntReport) -> [String] {
        var notes: [String] = []
        let scan = report.scan
        if scan.recordsOfUnknownIssuers > 0 {
            notes.append("\(scan.recordsOfUnknownIssuers) records name issuers this key store does not know: the ledger cannot judge them (no forgery check).")
        }
        if scan.staleTokensOnInactiveKeys > 0 {
            notes.append("\(scan.staleTokensOnInactiveKeys) key_not_active refusals were genuinely issued tokens presented after they had expired (old clients after a rotation): counted, not flagged.")
        }
        if let start = scan.logStart {
            let judged = start.addingTimeInterval(configuration.lookback)
            notes.append("The log starts at \(HuntTime.iso(start)): first-time access is judged only from \(HuntTime.iso(judged)) on (a full \(Int(configuration.lookback / 86_400))-day look-back).")
        } else {
            notes.append("The audit log is empty.")
        }
        if report.findingsTruncated {
            notes.append("Only the first \(configuration.maximumListed) findings of each kind are listed; the counts are exact.")
        }
        if report.leadsTruncated {
            notes.append("Only the first \(configuration.maximumListed) leads are listed; the count is exact.")
        }
        return notes
    }
}
