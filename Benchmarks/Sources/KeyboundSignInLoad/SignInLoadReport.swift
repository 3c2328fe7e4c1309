import Foundation

/// The figures of one `drive` run, as a Markdown table and as JSON, with the targets: token
/// throughput during the flood ≥ 0.7 × without it, `/health` p99 during the flood under 50 ms.
struct SignInLoadReport {
    let options: SignInLoadOptions
    let before: SignInLoadDriver.Phase
    let during: SignInLoadDriver.Phase
    let after: SignInLoadDriver.Phase
    let floodTotal: [Int: Int]
    let floodWindow: [Int: Int]
    let floodFailures: [String]
    let server: [String: Int]

    static let ratioTarget = 0.7
    static let healthP99Target = 0.050

    var baseline: Double { (before.tokenRate + after.tokenRate) / 2 }
    var ratio: Double { during.tokenRate / baseline }
    var ratioMet: Bool { ratio >= Self.ratioTarget }
    var healthMet: Bool { during.healthPercentile(0.99) < Self.healthP99Target }

    private static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1_000) }

    func print() {
        let floodConnections = options.floodAddresses * options.floodConnectionsPerAddress
        Swift.print("""
            Sign-in flood: \(options.seconds) s per phase, \(options.tokenConnections) token connections, /health every \
            \(Int(options.healthInterval * 1_000)) ms on one more; flood \(options.floodRate) posts/s on \(floodConnections) connections \
            from \(options.floodAddresses) addresses, \(options.usernames) usernames (half unknown)

            | Phase | client_credentials req/s | token errors | /health p50 ms | /health p99 ms | /health max ms | /health samples |
            |---|---|---|---|---|---|---|
            """)
        for (name, phase) in [("before", before), ("flood", during), ("after", after)] {
            Swift.print("| \(name) | \(Int(phase.tokenRate)) | \(phase.tokenErrors) | \(Self.milliseconds(phase.healthPercentile(0.5))) | "
                        + "\(Self.milliseconds(phase.healthPercentile(0.99))) | \(Self.milliseconds(phase.healthPercentile(1))) | "
                        + "\(phase.healthLatencies.count) |")
        }
        Swift.print("""

            token throughput during the flood ÷ mean(before, after): \(String(format: "%.2f", ratio)) \
            (target ≥ \(Self.ratioTarget): \(ratioMet ? "met" : "MISSED"))
            /health p99 during the flood: \(Self.milliseconds(during.healthPercentile(0.99))) ms \
            (target < 50 ms: \(healthMet ? "met" : "MISSED"))

            Flood posts by status, measured window (all): \(Self.statuses(floodWindow)) (\(Self.statuses(floodTotal)))
              401 = password hashed, wrong; 429 = throttled; 503 = shed (hash queue full); 403 = CSRF refused; 0 = transport error
            Server counters keybound_signin_attempts_total{issuer="contoso"} (whole run, incl. 1 preflight post): \
            \(server.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            """)
        if !floodFailures.isEmpty { Swift.print("flood connections that failed to start: \(floodFailures)") }
    }

    static func statuses(_ counts: [Int: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    func json() throws -> Data {
        func phase(_ phase: SignInLoadDriver.Phase) -> [String: Any] {
            ["token_rps": phase.tokenRate, "token_errors": phase.tokenErrors, "health_p50_ms": phase.healthPercentile(0.5) * 1_000,
             "health_p99_ms": phase.healthPercentile(0.99) * 1_000, "health_max_ms": phase.healthPercentile(1) * 1_000,
             "health_samples": phase.healthLatencies.count]
        }
        let object: [String: Any] = [
            "before": phase(before), "flood": phase(during), "after": phase(after),
            "ratio": ratio, "ratio_target_met": ratioMet, "health_p99_target_met": healthMet,
            "flood_window": Dictionary(uniqueKeysWithValues: floodWindow.map { ("\($0.key)", $0.value) }),
            "flood_total": Dictionary(uniqueKeysWithValues: floodTotal.map { ("\($0.key)", $0.value) }),
            "server": server,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    }
}
