import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Keybound
import KeyboundResourceKit
import KeyboundValidation

/// The remote forgery check's costs, measured (release build): `swift run -c release KeyboundIssuanceBench`.
///
/// 1. **Fresh tokens**: a provider and a validator (`RemoteResourceTrust`, following the issuance
///    feed over HTTP) in this process. Each token is verified at the validator the moment the token
///    endpoint returns it: latency p50/p99/max, how many waited for their feed entry, how many
///    needed the status call. Sequentially, then with 8 clients at once.
/// 2. **Throughput**: distinct tokens, all already in the feed, verified with and without the
///    check, with no verified-token cache (every verification runs the check's set lookup),
///    interleaved rounds in alternating order; the ratio with ÷ without.
/// 3. **Memory** (`--memory`, in a process of its own): the resident set before and after
///    1,000,000 distinct live entries.
@main
struct IssuanceBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? fallback
        }
        let fresh = option("--fresh", 2_000), distinct = option("--tokens", 2_000), rounds = option("--rounds", 5)
        let entries = option("--entries", 1_000_000)
        if arguments.contains("--memory") {
            memory(entries: entries)
            return
        }
        let provider = try await IssuanceBenchProvider.start(port: option("--port", 18_390))
        do {
            let validator = try await IssuanceBenchValidator.start(provider)
            try await freshTokens(provider, validator, count: fresh)
            try await throughput(provider, validator, distinct: distinct, rounds: rounds)
            await validator.stop()
        } catch {
            await provider.stop()
            throw error
        }
        await provider.stop()
    }

    static func freshTokens(_ provider: IssuanceBenchProvider, _ validator: IssuanceBenchValidator, count: Int) async throws {
        print("Fresh tokens: each verified at the validator the moment the token endpoint returns it")
        for clients in [1, 8] {
            let before = validator.check.statistics
            let perClient = max(1, count / clients)
            let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        var latencies: [Duration] = []
                        for _ in 0..<perClient {
                            let token = try await provider.token()
                            let started = ContinuousClock.now
                            guard case .success = await validator.verify(token) else { throw BenchError("an issued token was refused") }
                            latencies.append(ContinuousClock.now - started)
                        }
                        return latencies
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }.sorted()
            let after = validator.check.statistics
            func ms(_ duration: Duration) -> String { String(format: "%.2f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1e3) }
            print("  \(clients) client\(clients == 1 ? "" : "s"), \(latencies.count) tokens: p50 \(ms(latencies[latencies.count / 2])), "
                  + "p99 \(ms(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])), max \(ms(latencies.last!)); "
                  + "held at once \(after.heldAtOnce - before.heldAtOnce), waited \(after.waited - before.waited) "
                  + "(entry came: \(after.foundAfterWaiting - before.foundAfterWaiting)), status calls \(after.statusCalls - before.statusCalls)")
        }
    }

    static func throughput(_ provider: IssuanceBenchProvider, _ validator: IssuanceBenchValidator, distinct: Int, rounds: Int) async throws {
        var tokens: [String] = []
        for _ in 0..<distinct { tokens.append(try await provider.token()) }
        // Every token in the feed before measuring.
        for token in tokens { guard case .success = await validator.verify(token) else { throw BenchError("an issued token was refused") } }
        var with: [Double] = [], without: [Double] = []
        for round in 0..<rounds {
            if round.isMultiple(of: 2) {
                without.append(try await validator.rate(tokens, checked: false))
                with.append(try await validator.rate(tokens, checked: true))
            } else {
                with.append(try await validator.rate(tokens, checked: true))
                without.append(try await validator.rate(tokens, checked: false))
            }
        }
        let medianWith = with.sorted()[with.count / 2], medianWithout = without.sorted()[without.count / 2]
        print("Throughput, \(distinct) distinct tokens already in the feed, no verified-token cache, median of \(rounds) rounds:")
        print(String(format: "  without the check %.0f/s, with it %.0f/s: ratio %.3f", medianWithout, medianWith, medianWith / medianWithout))
    }

    static func memory(entries: Int) {
        let set = IssuedTokenSet(maximumEntries: entries)
        let now = Date()
        let before = residentBytes()
        var digest = [UInt8](repeating: 0, count: 32)
        for index in 0..<entries {
            withUnsafeBytes(of: UInt64(index).littleEndian) { for (offset, byte) in $0.enumerated() { digest[offset] = byte } }
            set.insert(issuer: "https://id.example.test/bench", tokenID: UUID().uuidString, claimsDigest: digest,
                       expiresAt: now.addingTimeInterval(3_600), now: now)
        }
        let after = residentBytes()
        print(String(format: "Memory: %d entries held, resident set %.1f MiB -> %.1f MiB: %.0f bytes per entry",
                     set.count, Double(before) / 1_048_576, Double(after) / 1_048_576, Double(after - before) / Double(max(1, set.count))))
    }

    /// The resident set size, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
