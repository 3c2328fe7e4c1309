import Foundation

/// `keybound demo storm-0558`: the Storm-0558 attack replayed against Keybound, end to end, in
/// this process, on simulated time (see `docs/demo.md`).
///
/// It starts the provider with three issuers (the consumer realm `consumers` and the enterprise
/// tenants `contoso` and `fabrikam`), Keybound Mail inside the provider, and a second mail front
/// end set up like a standalone validator, in a fresh data directory. It runs a month of ordinary
/// traffic, then plays the attacker with the consumer realm's signing key: tokens claiming the
/// enterprise tenants (refused, `issuer_key_mismatch`, alerted), and consumer tokens with perfect
/// signatures (refused by the ledger check; served by the validator without it, and found by the
/// hunt). It compares every forged token with what a kid-only validator would have accepted, runs
/// the hunt and `incident respond`, and checks that legitimate users keep working.
public enum StormDrill {
    /// Runs the drill, calling `output` with each line of the report as it happens.
    ///
    /// Throws only when the drill cannot run (``StormDrillError`` for a port or a directory, or the
    /// error of a store or request that failed); an expectation that does not hold is reported in
    /// ``StormDrillResult/expectations`` instead.
    public static func run(_ options: StormDrillOptions = StormDrillOptions(),
                           output: @escaping (String) -> Void = { _ in }) async throws -> StormDrillResult {
        guard StormDrillOptions.dayRange.contains(options.days) else {
            throw StormDrillError("days must be between \(StormDrillOptions.dayRange.lowerBound) and \(StormDrillOptions.dayRange.upperBound)")
        }
        let started = ContinuousClock.now
        let directory = try dataDirectory(options)
        let result: StormDrillResult
        do {
            result = try await perform(options, directory: directory, started: started, output: output)
        } catch {
            if options.keepDirectory == nil { await remove(directory) }
            throw error
        }
        if options.keepDirectory == nil { await remove(directory) }
        conclude(result, say: output)
        return result
    }

    /// Runs the acts; every store and server is released when it returns.
    private static func perform(_ options: StormDrillOptions, directory: URL, started: ContinuousClock.Instant,
                                output: @escaping (String) -> Void) async throws -> StormDrillResult {
        // Day 0 starts at midnight UTC, days + 1 days ago: the whole drill lies in the past.
        let today = floor(Date().timeIntervalSince1970 / 86_400) * 86_400
        let clock = DrillClock(Date(timeIntervalSince1970: today - TimeInterval(options.days + 1) * 86_400))
        let world = try await DrillWorld.start(directory: directory, clock: clock, verbose: options.verbose)
        let run = DrillRun(world: world, days: options.days, keptDirectory: options.keepDirectory != nil, say: output)
        do {
            introduce(run)
            try await run.ordinaryMonth()
            try await run.theft()
            try await run.crossIssuerForgeries()
            try await run.sameIssuerForgeries()
            run.kidOnlyComparison()
            try run.detection()
            try await run.response()
            try await run.morningAfter()
            // Sign a checkpoint over the tail of the audit log, as a mail server does on shutdown.
            _ = try await world.mail.audit.checkpoint(now: clock.now())
        } catch {
            await world.stop()
            throw error
        }
        await world.stop()
        return StormDrillResult(
            days: options.days, simulatedStart: run.start, attackStart: run.attackStart,
            dataDirectory: options.keepDirectory.map { _ in directory.path }, stolenKeyID: run.stolenKeyID,
            traffic: world.tenants.compactMap { run.traffic[$0.id] }, rotations: run.rotations,
            attempts: run.attempts + run.afterResponseAttempts, verdicts: run.verdicts, alerts: alertCounts(world),
            findings: run.findings, forgedTokenIDs: run.forgedTokenIDs, crossIssuerTokenIDs: run.crossIssuerTokenIDs,
            falsePositives: run.falsePositives, leads: run.leads, lookbackDays: run.lookbackDays,
            incident: run.incident ?? StormDrillResult.Incident.missing, aftermath: run.aftermath, expectations: run.expectations(),
            runtimeSeconds: (ContinuousClock.now - started).drillSeconds)
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
            ["Mail edge", world.edgeURL, "like `keybound mail serve`: keys from JWKS and push, no ledger"],
        ])
        run.say("  Both mail front ends write one audit log. Data: \(world.directory.path)" + (run.keptDirectory ? "" : " (removed at the end)"))
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
        for (frontEnd, alerts) in [(FrontEnd.keyboundMail, world.context.alerts.alerts()), (.edge, world.edgeAlerts.alerts())] {
            for alert in alerts { counts[frontEnd.rawValue, default: [:]][alert.code, default: 0] += 1 + alert.suppressed }
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
        id: "", closed: false, steps: [], folder: "", notices: [:], containmentSeconds: nil, tokensRevoked: 0, chainsRevoked: 0,
        freshKeyID: nil, commandSeconds: 0, edgePropagationSeconds: nil)
}
