import Foundation
import GRDB
import KeyboundSQLite
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
    /// Runs a hunt. Reads the stores only; never writes to them.
    public static func run(_ configuration: HuntConfiguration) async throws(HuntError) -> HuntReport {
        try configuration.validate()
        let started = ContinuousClock.now
        return try run(configuration, directory: try await HuntKeyDirectory(store: configuration.keyStore), started: started)
    }

    /// Runs a hunt over a key directory already read: the scan itself, synchronous and CPU-bound
    /// (a server runs it off the concurrency pool).
    public static func run(_ configuration: HuntConfiguration, directory: HuntKeyDirectory,
                           started: ContinuousClock.Instant = .now) throws(HuntError) -> HuntReport {
        try configuration.validate()
        let seed = HuntHash.randomSeed()
        let ledger = try LedgerIndex.load(store: configuration.ledger, seed: seed)
        let queue = try openAuditLog(configuration)
        defer { try? queue.close() }
        let scanner = AuditScanner(configuration: configuration, directory: directory, ledger: ledger.digests, seed: seed)
        let scanSeconds: Double
        let records: [Int64: AuditRecord]
        do {
            (records, scanSeconds) = try scan(queue, with: scanner)
        } catch let error as HuntError {
            throw error
        } catch {
            throw HuntError(.auditUnavailable, "cannot read the audit log in '\(configuration.auditDirectory.path)': \(error)")
        }
        var builder = HuntReportBuilder(configuration: configuration, directory: directory, ledger: ledger, scanner: scanner,
                                        records: records)
        var report = try builder.build()
        report.scan.ledgerTokens = ledger.digests.count
        report.scan.scanSeconds = scanSeconds
        report.scan.totalSeconds = (ContinuousClock.now - started).seconds
        return report
    }

    /// The scanning pass, in one synchronous read of the audit log: the records the findings and
    /// leads name, and the pass's duration in seconds.
    private static func scan(_ queue: DatabaseQueue, with scanner: AuditScanner) throws -> ([Int64: AuditRecord], Double) {
        try queue.read { db in
            let scanStarted = ContinuousClock.now
            try scanner.run(db)
            let seconds = (ContinuousClock.now - scanStarted).seconds
            let wanted = Set(scanner.findings.map(\.sequence) + scanner.leads.map(\.sequence))
            return (try AuditRecordReader.records(db, sequences: wanted), seconds)
        }
    }

    /// The audit log, read-only, with read settings for one long sequential scan.
    private static func openAuditLog(_ configuration: HuntConfiguration) throws(HuntError) -> DatabaseQueue {
        let path = configuration.auditDirectory.appendingPathComponent(AuditLog.fileName).path
        guard FileManager.default.fileExists(atPath: path) else { throw HuntError(.auditUnavailable, "no audit log at '\(path)'") }
        let cache = max(64, configuration.cacheKiB), map = max(0, configuration.memoryMapBytes)
        do {
            let queue = try SQLiteDatabase.openReadOnly(path: path) { db in
                try db.execute(sql: "PRAGMA cache_size = -\(cache)")
                try db.execute(sql: "PRAGMA mmap_size = \(map)")
            }
            let hasTable = try queue.read { db in try db.tableExists("audit_record") }
            guard hasTable else { throw HuntError(.auditUnavailable, "'\(path)' is not an audit log (no audit_record table)") }
            return queue
        } catch let error as HuntError {
            throw error
        } catch {
            throw HuntError(.auditUnavailable, "cannot open the audit log at '\(path)': \(error)")
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
