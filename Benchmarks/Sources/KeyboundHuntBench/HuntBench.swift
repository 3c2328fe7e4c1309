import Foundation

/// `KeyboundHuntBench`: generates a realistic audit log of millions of records with its ledger and
/// key store, then times the hunt's full scan in a fresh process (so the peak RSS it reports is
/// the hunt's, not the generator's). See Benchmarks/README.md and docs/hunt.md.
@main
struct HuntBench {
    static func main() async throws {
        let options = HuntBenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
        #if DEBUG
        FileHandle.standardError.write(Data("KeyboundHuntBench: warning: a debug build; its numbers mean nothing (use -c release)\n".utf8))
        #endif
        let temporary = options.directory == nil
        let directory = URL(fileURLWithPath: options.directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("keybound-hunt-bench-\(options.records)").path)
        switch options.mode {
        case "generate":
            try await generate(options, directory: directory)
        case "measure":
            await exit(try HuntBenchMeasure.run(options, directory: directory))
        case "floor":
            try HuntBenchFloor.run(directory: directory, cacheKiB: options.cacheKiB)
        case "chain":
            guard let target = options.chainTarget else { HuntBenchChain.fail("chain needs --to DIR2") }
            try await HuntBenchChain.run(from: directory, to: URL(fileURLWithPath: target))
        default:
            let existing = try? JSONDecoder().decode(Planted.self, from: Data(contentsOf: Planted.file(in: directory)))
            if existing?.records != options.records {
                try? FileManager.default.removeItem(at: directory)
                try await generate(options, directory: directory)
            } else {
                say("reusing \(directory.path) (\(options.records) records)")
            }
            // Measure in a fresh process: ru_maxrss is a high-water mark for the whole process.
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var arguments = ["measure", "--dir", directory.path, "--repetitions", String(options.repetitions),
                             "--mmap", String(options.memoryMapBytes), "--cache", String(options.cacheKiB)]
            if !options.traceKey { arguments.append("--no-trace") }
            if let json = options.jsonPath { arguments += ["--json", json] }
            child.arguments = arguments
            try child.run()
            child.waitUntilExit()
            if temporary && !options.keep { try? FileManager.default.removeItem(at: directory) }
            exit(child.terminationStatus)
        }
    }

    static func generate(_ options: HuntBenchOptions, directory: URL) async throws {
        let started = ContinuousClock.now
        var generator = HuntBenchGenerator(records: options.records, directory: directory)
        let planted = try await generator.generate()
        let elapsed = ContinuousClock.now - started
        say("generated \(planted.records) audit records and \(planted.tokens) ledger tokens in \(elapsed) at \(directory.path)")
    }

    /// A line on stdout at once (the measuring child writes to the same stdout).
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
}
