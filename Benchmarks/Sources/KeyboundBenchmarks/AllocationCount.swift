import CAllocationCounter
import Foundation
import Keybound

/// `--allocations`: heap blocks allocated per operation, Keybound against raw swift-crypto, for
/// the five cases. Each contender runs on the main thread: first 1,024 operations to warm its
/// caches (the header cache, swift-crypto's lazily built tables), then 2,048 counted ones, so a
/// figure is what a verification or a signature costs in the steady state. The count comes from
/// the executable's own malloc family (`CAllocationCounter`) and covers everything the operation
/// calls: Keybound, the Swift runtime and BoringSSL.
enum AllocationCount {
    static let warmUp = 1_024
    static let counted = 2_048

    /// One row: a case and the allocations per operation of each contender.
    struct Row {
        let caseName: String
        let keybound: Double
        let raw: Double
    }

    static func run(tokenCount: Int) throws {
        let issuedAt = Int(Date().timeIntervalSince1970) - 60
        let claims = TokenClaims.batch(count: tokenCount, issuedAt: issuedAt)
        var rows: [Row] = []
        for algorithm in [JWSAlgorithm.es256, .edDSA, .rs256] {
            let signed = try SignedTokens.make(algorithm: algorithm, claims: claims)
            let verifier = try KeyboundContenders.verifier(for: [signed], now: Date(timeIntervalSince1970: Double(issuedAt + 60)))
            rows.append(Row(caseName: "verify.\(algorithm.rawValue)",
                            keybound: try perOperation(KeyboundContenders.verifyLoop(signed, with: verifier)),
                            raw: try perOperation(RawContenders.verifyLoop(signed))))
            rows.append(Row(caseName: "sign.\(algorithm.rawValue)",
                            keybound: try perOperation(KeyboundContenders.signLoop(signed)),
                            raw: try perOperation(RawContenders.signLoop(signed))))
        }
        print(table(rows))
    }

    /// Allocations per operation of `loop` in the steady state.
    static func perOperation(_ loop: (Int) throws -> Int) throws -> Double {
        _ = try loop(warmUp)
        benchmark_allocations_start()
        let checksum = try loop(counted)
        let allocations = benchmark_allocations_stop()
        precondition(checksum != 0, "the loop did nothing")
        return Double(allocations) / Double(counted)
    }

    static func table(_ rows: [Row]) -> String {
        var lines = ["| Case | Keybound allocations/op | raw allocations/op | Keybound's own |", "|---|---|---|---|"]
        for row in rows {
            lines.append("| \(row.caseName) | \(format(row.keybound)) | \(format(row.raw)) | \(format(row.keybound - row.raw)) |")
        }
        return lines.joined(separator: "\n")
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
