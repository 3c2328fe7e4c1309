import Foundation

/// Command-line options of the benchmark executable.
///
/// Plain `CommandLine` parsing keeps the package free of extra dependencies:
/// `--quick`, `--json FILE`, `--repetitions N`, `--seconds S`, `--help`.
struct BenchmarkOptions: Sendable {
    /// Whether this is a fast smoke run (short measurements; numbers are rough).
    var quick = false
    /// Where to write the JSON results, if anywhere.
    var jsonPath: String?
    /// Interleaved repetitions per contender; the median of these is reported. At least 5.
    var repetitions = 7
    /// The wall time one measurement aims for, in seconds.
    var secondsPerMeasurement = 0.4
    /// Where durations are read from: `ContinuousClock` by default.
    var timeSource = TimeSource.wall
    /// Distinct tokens each verify/sign loop cycles through. A power of two, at least 1,024.
    let tokenCount = 1024
    /// For profilers: run only this contender (`verify.ES256:keybound`) this many times, untimed.
    var profile: (caseName: String, label: String, operations: Int)?
    /// For callgrind: run only this Keybound or raw contender this many times, synchronously.
    var instructionCount: (caseName: String, label: String, operations: Int)?
    /// Count heap allocations per operation instead of timing (`--allocations`).
    var allocations = false

    static let usage = """
        usage: KeyboundBenchmarks [--quick] [--json FILE] [--repetitions N] [--seconds S] [--cpu-time]
          --quick          smoke run: 5 repetitions of ~0.03 s each (rough numbers)
          --json FILE      also write {"results":[...]} to FILE
          --repetitions N  interleaved repetitions per figure (default 7, minimum 5)
          --seconds S      target duration of one measurement (default 0.4)
          --cpu-time       time with process CPU time instead of ContinuousClock (for a
                           loaded, shared machine; see README)
          --profile CASE:CONTENDER[:OPS]
                           run only one contender OPS times (default 20000), untimed, for
                           a sampling profiler (e.g. verify.RS256:keybound, sign.EdDSA:raw)
          --instructions CASE:keybound|raw:OPS
                           prepare only CASE's algorithm and run one contender OPS times on
                           the main thread, without the concurrency runtime or jwt-kit, for
                           valgrind --tool=callgrind (see README)
          --allocations    heap allocations per operation, Keybound and raw, each case on
                           the main thread after a warm-up (see README)
        """

    /// Parses `arguments` (without the program name); exits with status 2 on a usage error.
    static func parse(_ arguments: [String]) -> BenchmarkOptions {
        var options = BenchmarkOptions()
        var explicitSeconds: Double?
        var iterator = arguments.makeIterator()
        func value(for flag: String) -> String {
            guard let value = iterator.next() else { fail("\(flag) needs a value") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "--quick": options.quick = true
            case "--json": options.jsonPath = value(for: argument)
            case "--repetitions":
                guard let count = Int(value(for: argument)), count >= 5 else { fail("--repetitions must be an integer ≥ 5") }
                options.repetitions = count
            case "--seconds":
                guard let seconds = Double(value(for: argument)), seconds > 0, seconds <= 10 else { fail("--seconds must be in (0, 10]") }
                explicitSeconds = seconds
            case "--cpu-time": options.timeSource = .processCPU
            case "--profile":
                let parts = value(for: argument).split(separator: ":").map(String.init)
                guard (2...3).contains(parts.count), ["keybound", "raw", "jwtkit"].contains(parts[1]),
                      let operations = parts.count == 3 ? Int(parts[2]) : 20_000, operations > 0 else {
                    fail("--profile needs CASE:keybound|raw|jwtkit[:OPS]")
                }
                options.profile = (parts[0], parts[1], operations)
            case "--instructions":
                let parts = value(for: argument).split(separator: ":").map(String.init)
                guard parts.count == 3, ["keybound", "raw"].contains(parts[1]), let operations = Int(parts[2]), operations > 0 else {
                    fail("--instructions needs CASE:keybound|raw:OPS")
                }
                options.instructionCount = (parts[0], parts[1], operations)
            case "--allocations": options.allocations = true
            case "-h", "--help":
                print(usage)
                exit(0)
            default: fail("unknown argument '\(argument)'")
            }
        }
        if options.quick {
            options.repetitions = 5
            options.secondsPerMeasurement = 0.03
        }
        if let explicitSeconds { options.secondsPerMeasurement = explicitSeconds }
        return options
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n\(usage)\n".utf8))
        exit(2)
    }
}
