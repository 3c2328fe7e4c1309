import Foundation
@_spi(Benchmarking) import Keybound

/// What software custody costs: the same tokens signed with today's cached key objects and with
/// the key as `keybound serve` holds it now (locked memory, swift-crypto key rebuilt per
/// signature, on a secret worker thread), all in the same run.
enum CustodyCosts {
    /// Three contenders per algorithm: `cached` (a `SigningKey` held as swift-crypto objects,
    /// through `signedByCustodian`), `rebuilt` (the locked key rebuilt per signature on this
    /// thread: signing input and signature only) and `locked` (`signedByCustodian` through the
    /// locked key's custodian: rebuilt per signature on a worker, what serve does).
    static func contenders(_ fixture: AlgorithmFixture) throws -> [Contender] {
        let signed = fixture.signed
        let claims = signed.claimObjects, keys = signed.tokenKeys, inputs = signed.signingInputs, mask = claims.count - 1
        let cached = signed.signingKeys.map { TokenSigner(key: $0) }
        var locked: [TokenSigner] = [], rebuilt: [@Sendable ([UInt8]) throws(SigningError) -> [UInt8]] = []
        for key in signed.signingKeys {
            let held = try key.lockedForBenchmarking()
            locked.append(held.signer)
            rebuilt.append(held.signatureRebuildingKey)
        }
        let lockedSigners = locked, rebuilders = rebuilt
        return [
            Contender(label: "cached") { operations in
                var checksum = 0
                for index in 0..<operations {
                    checksum &+= try await cached[keys[index & mask]].signedByCustodian(claims: claims[index & mask]).token.utf8.count
                }
                return checksum
            },
            Contender(label: "rebuilt") { operations in
                var checksum = 0
                for index in 0..<operations { checksum &+= try rebuilders[keys[index & mask]](inputs[index & mask]).count }
                return checksum
            },
            Contender(label: "locked") { operations in
                var checksum = 0
                for index in 0..<operations {
                    checksum &+= try await lockedSigners[keys[index & mask]].signedByCustodian(claims: claims[index & mask]).token.utf8.count
                }
                return checksum
            },
        ]
    }

    /// Measures every fixture's three contenders and returns the report lines.
    static func measure(_ fixtures: [AlgorithmFixture], stopwatch: Stopwatch, repetitions: Int, sink: inout Int) async throws -> [String] {
        var lines = ["", "Software custody (tokens/s, median of \(repetitions); ratios ÷ cached):",
                     "| Algorithm | cached | rebuilt per signature | locked (serve: rebuilt on a worker) | rebuilt ÷ cached | locked ÷ cached |",
                     "|---|---|---|---|---|---|"]
        for fixture in fixtures {
            print("measuring custody.\(fixture.algorithm.rawValue)…")
            let samples = try await stopwatch.measure(try contenders(fixture), repetitions: repetitions, sink: &sink)
            let (cached, rebuilt, locked) = (samples[0].median, samples[1].median, samples[2].median)
            lines.append("| \(fixture.algorithm.rawValue) | \(Int(cached)) | \(Int(rebuilt)) | \(Int(locked)) | "
                         + String(format: "%.2f | %.2f |", rebuilt / cached, locked / cached))
        }
        return lines
    }
}
