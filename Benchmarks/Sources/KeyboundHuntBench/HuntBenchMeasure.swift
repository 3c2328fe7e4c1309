import Foundation
import KeyboundHunt
import KeyboundStore

/// Hunts over a generated directory in this process, and what they cost: wall time, CPU time
/// (getrusage) and this process's peak resident memory (ru_maxrss).
enum HuntBenchMeasure {
    struct Run {
        let scanSeconds: Double
        let totalSeconds: Double
        let cpuSeconds: Double
        let records: Int
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Peak resident set size of this process's own address space, in bytes: `VmHWM` from
    /// `/proc/self/status`. Not `ru_maxrss`: Linux carries a process's `ru_maxrss` across `exec`,
    /// and a child started with `posix_spawn` (as `run` starts `measure`, through `Process`) shares
    /// its parent's address space until then, so its `ru_maxrss` starts at the parent's peak —
    /// the generator's, which grows with the log.
    static func peakResidentBytes() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kibibytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kibibytes * 1_024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1_024  // KiB on Linux
    }

    static func run(_ options: HuntBenchOptions, directory: URL) async throws -> Int32 {
        let planted = try JSONDecoder().decode(Planted.self, from: Data(contentsOf: Planted.file(in: directory)))
        let keys = try SQLiteKeyStore(directory: directory)
        let ledger = try SQLiteProviderStore(directory: directory)
        var runs: [Run] = []
        var problems: [String] = []
        var last: HuntReport?
        for _ in 0..<options.repetitions {
            let configuration = HuntConfiguration(
                auditDirectory: directory, keyStore: keys, ledger: ledger,
                key: options.traceKey ? .init(issuer: planted.stolenIssuerURL, keyID: planted.stolenKeyID) : nil,
                memoryMapBytes: options.memoryMapBytes, cacheKiB: options.cacheKiB, now: Date(timeIntervalSince1970: 1_806_000_000))
            let cpuBefore = cpuSeconds()
            let report = try await Hunt.run(configuration)
            runs.append(Run(scanSeconds: report.scan.scanSeconds, totalSeconds: report.scan.totalSeconds,
                            cpuSeconds: cpuSeconds() - cpuBefore, records: report.scan.recordsScanned))
            last = report
        }
        guard let report = last else { return 2 }
        // The hunt must have found exactly what was planted (a fast hunt that misses is worthless).
        if report.scan.recordsScanned != planted.records { problems.append("scanned \(report.scan.recordsScanned) of \(planted.records) records") }
        if report.count(.forgedToken) != planted.forged { problems.append("forged tokens: \(report.count(.forgedToken)), planted \(planted.forged)") }
        if report.count(.crossIssuer) != planted.crossIssuer { problems.append("cross-issuer: \(report.count(.crossIssuer)), planted \(planted.crossIssuer)") }
        if report.count(.revokedOrInactiveKey) != planted.revokedKey {
            problems.append("revoked keys: \(report.count(.revokedOrInactiveKey)), planted \(planted.revokedKey)")
        }
        if report.leadCount < planted.leadsAtLeast { problems.append("leads: \(report.leadCount), planted at least \(planted.leadsAtLeast)") }
        let best = runs.min { $0.scanSeconds < $1.scanSeconds }!
        let medianCPU = runs.map(\.cpuSeconds).sorted()[runs.count / 2]
        let medianScan = runs.map(\.scanSeconds).sorted()[runs.count / 2]
        let peak = peakResidentBytes()
        let databaseBytes = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("audit.sqlite").path)[.size] as? Int) ?? 0
        let lines = [
            "hunt over \(planted.records) audit records (\(databaseBytes / 1_048_576) MiB), \(planted.tokens) ledger tokens, "
                + "\(options.repetitions) hunts\(options.traceKey ? ", tracing one key" : "")",
            String(format: "  scan, best:        %.3f s  = %.0f records/s", best.scanSeconds, Double(best.records) / best.scanSeconds),
            String(format: "  scan, median:      %.3f s  = %.0f records/s", medianScan, Double(planted.records) / medianScan),
            String(format: "  hunt CPU, median:  %.3f s  = %.0f records per CPU-second (per core)", medianCPU, Double(planted.records) / medianCPU),
            String(format: "  hunt total, best:  %.3f s (key store, ledger digests %d tokens, scan, details)", runs.map(\.totalSeconds).min()!, report.scan.ledgerTokens),
            String(format: "  peak RSS:          %.1f MiB (VmHWM of this process, everything included)", Double(peak) / 1_048_576),
            "  found: \(report.count(.forgedToken)) forged, \(report.count(.crossIssuer)) cross-issuer, \(report.count(.revokedOrInactiveKey)) revoked-key, "
                + "\(report.leadCount) leads; key use \(report.keyUse?.total.total ?? 0) records",
        ] + problems.map { "  PROBLEM: \($0)" }
        print(lines.joined(separator: "\n"))
        if let path = options.jsonPath {
            let object: [String: Any] = [
                "records": planted.records, "ledger_tokens": report.scan.ledgerTokens, "database_bytes": databaseBytes,
                "repetitions": options.repetitions, "trace_key": options.traceKey,
                "scan_seconds": runs.map(\.scanSeconds), "cpu_seconds": runs.map(\.cpuSeconds), "total_seconds": runs.map(\.totalSeconds),
                "records_per_second_best": Double(best.records) / best.scanSeconds,
                "records_per_cpu_second_median": Double(planted.records) / medianCPU, "peak_rss_bytes": peak, "problems": problems,
            ]
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        }
        return problems.isEmpty ? 0 : 1
    }
}
