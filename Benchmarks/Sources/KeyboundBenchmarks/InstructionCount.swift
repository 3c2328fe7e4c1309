import Foundation
import Keybound

/// `--instructions CASE:CONTENDER:OPS`: the Keybound or raw contender of one case, run OPS times
/// synchronously on the main thread, for `valgrind --tool=callgrind`, whose instruction counts
/// repeat where wall time on a shared machine does not. Only CASE's algorithm is prepared (its
/// 3 issuers × 2 keys). The loop runs inside ``measuredLoop(_:operations:)``, so
/// `--collect-atstart=no --toggle-collect='*measuredLoop*'` counts the operations alone, not the
/// preparation (RSA key generation alone varies by millions of instructions from run to run).
enum InstructionCount {
    static func run(caseName: String, label: String, operations: Int, tokenCount: Int) throws {
        let algorithms: [JWSAlgorithm] = [.es256, .edDSA, .rs256]
        guard let algorithm = algorithms.first(where: { caseName.hasSuffix(".\($0.rawValue)") }),
              caseName.hasPrefix("verify.") || caseName.hasPrefix("sign.") else {
            print("error: no case '\(caseName)'")
            exit(2)
        }
        let issuedAt = Int(Date().timeIntervalSince1970) - 60
        let signed = try SignedTokens.make(algorithm: algorithm, claims: TokenClaims.batch(count: tokenCount, issuedAt: issuedAt))
        let loop: (Int) throws -> Int
        switch (caseName.hasPrefix("verify."), label) {
        case (true, "keybound"):
            let verifier = try KeyboundContenders.verifier(for: [signed], now: Date(timeIntervalSince1970: Double(issuedAt + 60)))
            loop = KeyboundContenders.verifyLoop(signed, with: verifier)
        case (true, _): loop = RawContenders.verifyLoop(signed)
        case (false, "keybound"): loop = KeyboundContenders.signLoop(signed)
        case (false, _): loop = RawContenders.signLoop(signed)
        }
        print("\(caseName) \(label): \(operations) operations, main thread only")
        let checksum = try measuredLoop(loop, operations: operations)
        print("(sink \(checksum & 0xFFFF))")
    }

    /// The only code callgrind counts (`--toggle-collect='*measuredLoop*'`): OPS operations.
    @inline(never)
    static func measuredLoop(_ loop: (Int) throws -> Int, operations: Int) throws -> Int {
        try loop(operations)
    }
}
