import Foundation
import KeyboundAudit
import KeyboundStore

/// The hunt over a protected resource's audit log, joined with the provider's issuance ledger
/// and key store (see `docs/hunt.md`):
///
/// 1. every use of a given key (issuer, kid), per tenant and mailbox;
/// 2. forged tokens: accepted (or refused only by the ledger check) with claims the token's
///    issuer never issued, which catches a stolen key that is valid for its own issuer;
/// 3. cross-issuer keys and revoked or inactive keys;
/// 4. first-time access, as leads (not verdicts).
///
/// One streaming pass reads every record; memory does not grow with the log.
public enum Hunt {
    /// Runs a hunt. Reads the stores only; never writes to them. The SQLite scan runs on a thread
    /// of its own, off the concurrency pool.
    public static func run(_ configuration: HuntConfiguration) async throws(HuntError) -> HuntReport {
        try configuration.validate()  // a bad request costs no read of any store
        let started = ContinuousClock.now
        let directory = try await HuntKeyDirectory(store: configuration.keyStore)
        let seed = HuntHash.randomSeed()
        let ledger = try await LedgerIndex.load(store: configuration.ledger, seed: seed)
        let scanner = AuditScanner(configuration: configuration, directory: directory, ledger: ledger.digests, seed: seed)
        let scanStarted = ContinuousClock.now
        let records: [Int64: AuditRecord]
        switch configuration.audit {
        case .sqliteDirectory(let auditDirectory):
            records = try await SQLiteHuntSource.scan(directory: auditDirectory, configuration: configuration, with: scanner)
        case .log(let log):
            records = try await StorageHuntSource.scan(log, with: scanner)
        }
        let scanSeconds = (ContinuousClock.now - scanStarted).seconds
        try await ledger.explain(scanner.findings.filter { $0.kind == .forgedToken }.compactMap { candidate in
            guard let record = records[candidate.sequence], let tokenID = record.tokenID else { return nil }
            return (record.tokenIssuer.flatMap(directory.issuer(url:))?.id, tokenID)
        }, directory: directory)
        var builder = HuntReportBuilder(configuration: configuration, directory: directory, ledger: ledger, scanner: scanner,
                                        records: records)
        var report = try builder.build()
        report.scan.ledgerTokens = ledger.digests.count
        report.scan.scanSeconds = scanSeconds
        report.scan.totalSeconds = (ContinuousClock.now - started).seconds
        return report
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
