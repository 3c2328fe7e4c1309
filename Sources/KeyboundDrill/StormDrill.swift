import Foundation
import KeyboundPostgres
import KeyboundStore

/// `keybound demo storm-0558`: the Storm-0558 attack replayed against Keybound, end to end, in
/// this process, on simulated time (see `docs/demo.md`).
///
/// It starts the provider with three issuers (the consumer realm `consumers` and the enterprise
/// tenants `contoso` and `fabrikam`), Keybound Mail inside the provider, and a second mail front
/// end set up like a standalone validator, in a fresh data directory. It runs a month of ordinary
/// traffic, then plays the attacker with the consumer realm's signing key: tokens claiming the
/// enterprise tenants (refused, `issuer_key_mismatch`, alerted), consumer tokens naming an
/// enterprise tenant's `tid` (refused, `tenant_mismatch`: a tenant is (issuer, tid)), and consumer
/// tokens with perfect signatures (refused by the ledger check and, at the edge, by the issuance
/// feed; the delegated ones served by the legacy validator, whose check is skipped, and found by
/// the hunt). It compares every forged token with what a kid-only validator would have accepted, runs
/// the hunt and `incident respond`, and checks that legitimate users keep working.
package enum StormDrill {
    /// Runs the drill, calling `output` with each line of the report as it happens.
    ///
    /// Throws only when the drill cannot run (``StormDrillError`` for a port or a directory, or the
    /// error of a store or request that failed); an expectation that does not hold is reported in
    /// ``StormDrillResult/expectations`` instead.
    package static func run(_ options: StormDrillOptions = StormDrillOptions(),
                           output: @escaping (String) -> Void = { _ in }) async throws -> StormDrillResult {
        guard StormDrillOptions.dayRange.contains(options.days) else {
            throw StormDrillError("days must be between \(StormDrillOptions.dayRange.lowerBound) and \(StormDrillOptions.dayRange.upperBound)")
        }
        let started = ContinuousClock.now
        let directory = try dataDirectory(options)
        // One path to the cleanup, whether the drill ran or threw: no `catch` that awaits
        // (see `docs/compiler-notes.md`).
        let outcome = await capture { try await perform(options, directory: directory, started: started, output: output) }
        if options.keepDirectory == nil { await remove(directory) }
        let result = try outcome.get()
        conclude(result, say: output)
        return result
    }

    /// Starts the world, plays the acts and stops the world; every store and server is released
    /// when it returns, whether the acts completed or threw.
    ///
    /// Keep this shape (see `docs/compiler-notes.md`): the acts' error is caught in a ``Result`` by
    /// ``capture(_:)``, `world.stop()` is awaited once on the one path that follows, and the result
    /// is built by the synchronous ``result(of:options:directory:started:)``. A `do` block of the
    /// acts' `try await`s with a typed-throws call among them, whose `catch` awaited the cleanup and
    /// rethrew, crashed Swift 6.3.1 in release builds (signal 11 in LLVM's CoroSplit).
    private static func perform(_ options: StormDrillOptions, directory: URL, started: ContinuousClock.Instant,
                                output: @escaping (String) -> Void) async throws -> StormDrillResult {
        // Day 0 starts at midnight UTC, days + 1 days ago: the whole drill lies in the past.
        let today = floor(Date().timeIntervalSince1970 / 86_400) * 86_400
        let clock = DrillClock(Date(timeIntervalSince1970: today - TimeInterval(options.days + 1) * 86_400))
        var database: PostgresConnectionSettings?
        if let url = options.databaseURL {
            do {
                guard case .postgres(let settings) = try DatabaseLocation(parsing: url) else {
                    throw StormDrillError("the drill's database must be a postgres:// URL (the data directory is SQLite already)")
                }
                database = settings
            } catch let error as StoreError {
                throw StormDrillError(error.message)
            }
        }
        let world = try await DrillWorld.start(directory: directory, clock: clock, verbose: options.verbose, database: database,
                                               environment: options.environment, custodian: options.custodian,
                                               requestTimeout: options.requestTimeout)
        let run = DrillRun(world: world, days: options.days, keptDirectory: options.keepDirectory != nil, say: output)
        let acts = await capture { try await play(run) }
        // Read while the world runs; an empty list fails the incident's expectation, as it should.
        let consumerKeys = (try? await world.manager.keys(issuerID: DrillCast.consumers)) ?? []
        await world.stop()
        try acts.get()
        return result(of: run, options: options, directory: directory, started: started, consumerKeys: consumerKeys)
    }

    /// The acts in order; the first error ends the drill.
    private static func play(_ run: DrillRun) async throws {
        introduce(run)
        try await run.ordinaryMonth()
        try await run.theft()
        try await run.crossIssuerForgeries()
        try await run.tenantCrossingForgeries()
        try await run.sameIssuerForgeries()
        run.kidOnlyComparison()
        try await run.detection()
        try await run.response()
        try await run.morningAfter()
        try await run.signCheckpoint()
    }

    /// What the drill did and saw, once the world has stopped.
    private static func result(of run: DrillRun, options: StormDrillOptions, directory: URL,
                               started: ContinuousClock.Instant, consumerKeys: [KeyRecord]) -> StormDrillResult {
        let world = run.world
        return StormDrillResult(
            days: options.days, simulatedStart: run.start, attackStart: run.attackStart,
            dataDirectory: options.keepDirectory.map { _ in directory.path }, stolenKeyID: run.stolenKeyID,
            traffic: world.tenants.compactMap { run.traffic[$0.id] }, rotations: run.rotations,
            attempts: run.attempts + run.afterResponseAttempts, verdicts: run.verdicts, tenantBoundary: run.tenantBoundary,
            alerts: alertCounts(world),
            findings: run.findings, forgedTokenIDs: run.forgedTokenIDs, crossIssuerTokenIDs: run.crossIssuerTokenIDs,
            falsePositives: run.falsePositives, leads: run.leads, lookbackDays: run.lookbackDays,
            incident: run.incident ?? StormDrillResult.Incident.missing, aftermath: run.aftermath, expectations: run.expectations(consumerKeys: consumerKeys),
            runtimeSeconds: (ContinuousClock.now - started).drillSeconds)
    }

    /// The outcome of `body`, its error caught rather than thrown, so that the caller reaches its
    /// cleanup on one path.
    private static func capture<Success>(_ body: () async throws -> Success) async -> Result<Success, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    /// Removes the temporary data directory. A database connection still closing can put a file
    /// back while the tree is being removed, so it tries again for a moment.
    private static func remove(_ directory: URL) async {
        for _ in 0..<40 {
            try? FileManager.default.removeItem(at: directory)
            guard FileManager.default.fileExists(atPath: directory.path) else { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private static func introduce(_ run: DrillRun) {
        let world = run.world
        run.say("Storm-0558 drill")
        run.say("================")
        run.paragraph("""
            In 2023 an attacker used one stolen consumer signing key (Microsoft's MSA key of 2016, kid \
            1LTMzakihiRla_8z2BEJVXeWMqo) to forge tokens that Exchange Online accepted for enterprise mailboxes: nothing \
            checked that the key belonged to the token's issuer, and nothing checked that the token had ever been issued. \
            It went unnoticed for a month. This drill replays the attack against Keybound, in this process, on 127.0.0.1, \
            on simulated time: day 0 is \(DrillText.date(run.start)), the attack comes on day \(run.days).
            """)
        run.heading("The setup")
        run.table(["Service", "URL", "What it is"], [
            ["Provider", world.providerURL, "issuers consumers (consumer realm), contoso and fabrikam (enterprise tenants)"],
            ["Keybound Mail", world.mailURL, "inside the provider: its trust, plus the issuance-ledger check"],
            ["Mail edge", world.edgeURL, "like `keybound mail serve`: keys from JWKS and push, the issuers' issuance feeds"],
            ["Legacy validator", world.legacy.url, "the same with --unsafe-skip-issuance-check for every issuer: no issuance check"],
        ])
        run.say("  The three mail front ends write one audit log. Data: \(world.storeDescription)"
                + (run.keptDirectory || world.storeDescription != world.directory.path ? "" : " (removed at the end)"))
    }

    private static func conclude(_ result: StormDrillResult, say: (String) -> Void) {
        say("")
        if result.passed {
            say("Result: all \(result.expectations.count) expectations held (\(String(format: "%.1f", result.runtimeSeconds)) s).")
        } else {
            say("Result: \(result.failures.count) of \(result.expectations.count) expectations did NOT hold:")
            for failure in result.failures { say("  - \(failure.name): \(failure.detail)") }
        }
    }

    private static func alertCounts(_ world: DrillWorld) -> [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        for frontEnd in FrontEnd.allCases {
            for alert in world.alerts(of: frontEnd) { counts[frontEnd.rawValue, default: [:]][alert.code, default: 0] += 1 + alert.suppressed }
        }
        return counts
    }

    private static func dataDirectory(_ options: StormDrillOptions) throws -> URL {
        let manager = FileManager.default
        guard let kept = options.keepDirectory else {
            let directory = manager.temporaryDirectory.appendingPathComponent("keybound-drill-\(UUID().uuidString.prefix(8))", isDirectory: true)
            do { try manager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw StormDrillError("cannot create '\(directory.path)': \(error.localizedDescription)")
            }
            return directory
        }
        if manager.fileExists(atPath: kept.path) {
            let contents = (try? manager.contentsOfDirectory(atPath: kept.path)) ?? ["?"]
            guard contents.isEmpty else { throw StormDrillError("'\(kept.path)' is not empty; --keep needs a new or empty directory") }
        } else {
            do { try manager.createDirectory(at: kept, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw StormDrillError("cannot create '\(kept.path)': \(error.localizedDescription)")
            }
        }
        return kept
    }
}

extension StormDrillResult.Incident {
    static let missing = StormDrillResult.Incident(
        id: "", closed: false, steps: [], folder: "", notices: [:], mustNotify: [], containmentSeconds: nil, tokensRevoked: 0, chainsRevoked: 0,
        freshKeyID: nil, commandSeconds: 0, edgePropagationSeconds: nil)
}
