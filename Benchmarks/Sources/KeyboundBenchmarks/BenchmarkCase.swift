/// One row of the results: the same operation by Keybound, raw swift-crypto and jwt-kit.
struct BenchmarkCase: Sendable {
    /// `verify.ES256`, `sign.EdDSA`, …
    let name: String
    /// The lowest acceptable Keybound ÷ raw ratio.
    let rawTarget: Double
    let keybound: Contender
    let raw: Contender
    let jwtkit: Contender
}

/// The measured figures of one ``BenchmarkCase``.
struct CaseResult: Sendable {
    let name: String
    let rawTarget: Double
    let keybound: Sample
    let raw: Sample
    let jwtkit: Sample

    /// Keybound ÷ raw on the medians; above 1 means Keybound is faster.
    var ratioRaw: Double { keybound.median / raw.median }
    /// Keybound ÷ jwt-kit on the medians; above 1 means Keybound is faster.
    var ratioJWTKit: Double { keybound.median / jwtkit.median }
    var meetsTarget: Bool { ratioRaw >= rawTarget }
}
