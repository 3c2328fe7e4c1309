import Foundation
import KeyboundHunt

/// Command-line options (plain `CommandLine` parsing, as the other benchmarks do).
struct HuntBenchOptions: Sendable {
    /// `generate`, `measure` or `run` (both: generate if needed, then measure in a child process).
    var mode = "run"
    /// Audit records to generate.
    var records = 5_000_000
    /// The data directory (keys, ledger, audit log).
    var directory: String?
    /// Hunts per measurement (each reads every record).
    var repetitions = 3
    /// Also trace the planted stolen key (finding 1) during the measured hunts.
    var traceKey = true
    /// SQLite mmap size for the hunt's read connection.
    var memoryMapBytes = 0
    /// SQLite page cache of the hunt's read connection, in KiB.
    var cacheKiB = HuntConfiguration.defaultCacheKiB
    /// Keep the generated directory after `run`.
    var keep = false
    /// Where to write the JSON results.
    var jsonPath: String?
    /// `chain`: the directory to write the chained copy into.
    var chainTarget: String?

    static let usage = """
        usage: KeyboundHuntBench [run|generate|measure|floor] [--records N] [--dir DIR] [--repetitions R] [--no-trace]
                                 [--mmap BYTES] [--cache KIB] [--keep] [--json FILE]
          run          generate DIR if it does not hold N records, then measure in a fresh process (default)
          generate     only generate: keys, ledger and an audit log of N records (the real schemas)
          measure      only measure hunts over DIR (reports records/s, CPU time and peak RSS of this process)
          floor        only step the hunt's SELECT over DIR, reading the same columns and doing nothing else
          chain        copy DIR to --to DIR2 with a real hash chain and a signed checkpoint (for audit verify and migrate)
          --records N  audit records (default 5000000)
          --dir DIR    data directory (default: a temporary directory, removed unless --keep)
          --repetitions R  hunts per measurement (default 3)
          --no-trace   do not trace the planted stolen key (finding 1) during the hunts
          --mmap BYTES SQLite mmap_size of the hunt's read connection (default 0: plain reads)
          --cache KIB  SQLite page cache of the hunt's read connection (default: the hunt's default)
          --json FILE  also write the results as JSON
        """

    static func parse(_ arguments: [String]) -> HuntBenchOptions {
        var options = HuntBenchOptions()
        var iterator = arguments.makeIterator()
        func value(_ flag: String) -> String {
            guard let value = iterator.next() else { fail("\(flag) needs a value") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "run", "generate", "measure", "floor", "chain": options.mode = argument
            case "--to": options.chainTarget = value(argument)
            case "--records":
                guard let count = Int(value(argument)), count >= 1_000 else { fail("--records must be at least 1000") }
                options.records = count
            case "--dir": options.directory = value(argument)
            case "--repetitions":
                guard let count = Int(value(argument)), (1...100).contains(count) else { fail("--repetitions must be 1…100") }
                options.repetitions = count
            case "--no-trace": options.traceKey = false
            case "--mmap":
                guard let bytes = Int(value(argument)), bytes >= 0 else { fail("--mmap must be a byte count") }
                options.memoryMapBytes = bytes
            case "--cache":
                guard let kib = Int(value(argument)), kib >= 64 else { fail("--cache must be at least 64 (KiB)") }
                options.cacheKiB = kib
            case "--keep": options.keep = true
            case "--json": options.jsonPath = value(argument)
            case "--help", "-h":
                print(usage)
                exit(0)
            default: fail("unknown argument '\(argument)'")
            }
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("KeyboundHuntBench: \(message)\n\(HuntBenchOptions.usage)\n".utf8))
    exit(2)
}

