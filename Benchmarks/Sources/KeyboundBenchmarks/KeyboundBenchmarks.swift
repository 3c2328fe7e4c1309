import Foundation
import Keybound

/// Measures Keybound's `TokenVerifier` and `TokenSigner` against raw swift-crypto and jwt-kit 5.
///
/// `swift run -c release KeyboundBenchmarks [--quick] [--json FILE]`; see README.md.
@main
struct KeyboundBenchmarks {
    static func main() async throws {
        let options = BenchmarkOptions.parse(Array(CommandLine.arguments.dropFirst()))
        if let count = options.instructionCount {
            // Synchronously, on the main thread: valgrind 3.19 crashes when the concurrency runtime
            // starts a worker thread, so this mode never leaves the main thread.
            try InstructionCount.run(caseName: count.caseName, label: count.label, operations: count.operations,
                                     tokenCount: options.tokenCount)
            return
        }
        if options.allocations {
            try AllocationCount.run(tokenCount: options.tokenCount)
            return
        }
        try await run(options)
    }

    /// Prepares the fixtures, measures the five cases and reports them.
    nonisolated static func run(_ options: BenchmarkOptions) async throws {
        #if DEBUG
        print("warning: debug build; use `swift run -c release` for meaningful numbers")
        #endif
        let issuedAt = Int(Date().timeIntervalSince1970) - 60
        let claims = TokenClaims.batch(count: options.tokenCount, issuedAt: issuedAt)
        print("preparing \(options.tokenCount) distinct tokens per algorithm…")
        var fixtures: [AlgorithmFixture] = []
        var algorithms: [JWSAlgorithm] = [.es256, .edDSA, .rs256]
        if let profile = options.profile {  // a profiler run prepares only the algorithm it needs
            algorithms = algorithms.filter { profile.caseName.hasSuffix(".\($0.rawValue)") }
        }
        for algorithm in algorithms {
            fixtures.append(try await AlgorithmFixture.make(algorithm: algorithm, claims: claims))
        }
        for fixture in fixtures {
            print("  \(fixture.algorithm.rawValue): \(fixture.signed.keyIDs.count) keys (\(BenchmarkIssuer.all.count) issuers), "
                  + "Keybound token \(fixture.signed.tokens[0].utf8.count) B "
                  + "(signing input \(fixture.signed.signingInputs[0].count) B), jwt-kit token \(fixture.jwtkitTokens[0].utf8.count) B")
        }
        let verifier = try KeyboundContenders.verifier(
            for: fixtures.map(\.signed), now: Date(timeIntervalSince1970: Double(issuedAt + 60)))

        let cases = makeCases(fixtures, verifier: verifier)
        if let profile = options.profile {
            try await runForProfiler(cases, profile)
            return
        }
        let stopwatch = Stopwatch(secondsPerMeasurement: options.secondsPerMeasurement, source: options.timeSource)
        var sink = 0
        var results: [CaseResult] = []
        for benchmark in cases {
            print("measuring \(benchmark.name)…")
            let samples = try await stopwatch.measure(
                [benchmark.keybound, benchmark.raw, benchmark.jwtkit], repetitions: options.repetitions, sink: &sink)
            results.append(CaseResult(name: benchmark.name, rawTarget: benchmark.rawTarget,
                                      keybound: samples[0], raw: samples[1], jwtkit: samples[2]))
        }

        let custody = try await CustodyCosts.measure(fixtures, stopwatch: stopwatch, repetitions: options.repetitions, sink: &sink)

        print(Report.table(results, repetitions: options.repetitions, timeSource: options.timeSource))
        print(custody.joined(separator: "\n"))
        print("\n(sink \(sink & 0xFFFF))")
        let json = Report.json(results)
        print(json)
        if let path = options.jsonPath {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            print("wrote \(path)")
        }
    }

    /// Runs one contender a fixed number of times with no timing, so a profiler sees mostly it.
    nonisolated static func runForProfiler(
        _ cases: [BenchmarkCase], _ profile: (caseName: String, label: String, operations: Int)
    ) async throws {
        guard let benchmark = cases.first(where: { $0.name == profile.caseName }) else {
            print("error: no case '\(profile.caseName)'; cases: \(cases.map(\.name).joined(separator: ", "))")
            exit(2)
        }
        let contender = [benchmark.keybound, benchmark.raw, benchmark.jwtkit].first { $0.label == profile.label }!
        print("profiling \(benchmark.name) \(contender.label): \(profile.operations) operations")
        let checksum = try await contender.run(profile.operations)
        print("(sink \(checksum & 0xFFFF))")
    }

    /// verify.ES256, verify.EdDSA, verify.RS256, sign.ES256, sign.EdDSA, with their targets.
    static func makeCases(_ fixtures: [AlgorithmFixture], verifier: TokenVerifier) -> [BenchmarkCase] {
        var cases: [BenchmarkCase] = []
        for fixture in fixtures {
            cases.append(BenchmarkCase(
                name: "verify.\(fixture.algorithm.rawValue)", rawTarget: fixture.algorithm == .rs256 ? 0.90 : 0.95,
                keybound: KeyboundContenders.verify(fixture, with: verifier),
                raw: RawContenders.verify(fixture), jwtkit: JWTKitContenders.verify(fixture)))
        }
        for fixture in fixtures where fixture.algorithm != .rs256 {
            cases.append(BenchmarkCase(
                name: "sign.\(fixture.algorithm.rawValue)", rawTarget: 0.90,
                keybound: KeyboundContenders.sign(fixture),
                raw: RawContenders.sign(fixture), jwtkit: JWTKitContenders.sign(fixture)))
        }
        return cases
    }
}
