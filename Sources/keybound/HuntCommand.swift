import ArgumentParser
import Foundation
import KeyboundAudit
import KeyboundHunt
import KeyboundStore
import Logging

extension HuntFormat: ExpressibleByArgument {}

/// `keybound hunt`: the audit log joined with the issuance ledger and the key store.
struct HuntCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hunt",
        abstract: "Hunt the audit log: forged tokens, cross-issuer and revoked keys, a key's every use, first-time access.",
        discussion: """
            Reads keybound.sqlite (keys) and provider.sqlite (the issuance ledger) in --data, and audit.sqlite in \
            --audit (default: the same directory, as with `keybound serve --with-mail`); or, with --database postgres://…, \
            all three in the shared database. Read only. See docs/hunt.md. \
            Exit codes: 0 = nothing malicious (first-time-access leads alone never change that), 1 = forged tokens, \
            cross-issuer keys or revoked/inactive keys found, 2 = bad flags or unreadable stores.
            """)

    @Option(name: .customLong("data"), help: "Data directory of the provider: keys and ledger (default: $KEYBOUND_DATA or ./keybound-data).")
    var dataDirectory: String?
    @Option(name: .customLong("database"), help: "Where the provider's stores live: sqlite:DIR or postgres://… (default: $KEYBOUND_DATABASE, else as --data).")
    var database: String?
    @Option(name: .customLong("audit"), help: "Directory holding audit.sqlite (default: the data directory).")
    var auditDirectory: String?
    @Option(help: "Trace a key: its issuer's URL (or issuer id). Needs --kid.")
    var issuer: String?
    @Option(help: "Trace a key: its kid. Needs --issuer.")
    var kid: String?
    @Option(help: "Report records from this time: UNIX seconds or ISO 8601 (2027-01-15, 2027-01-15T08:00:00Z).")
    var since: String?
    @Option(help: "Report records up to this time: UNIX seconds or ISO 8601.")
    var until: String?
    @Option(name: .customLong("lookback-days"), help: "First-time access: the look-back window in days (default 30).")
    var lookbackDays: Double = 30
    @Option(help: "Output: text, json, markdown or html (default text).")
    var format: HuntFormat = .text
    @Option(help: "Write the report to this file instead of standard output.")
    var out: String?
    @Option(name: .customLong("max-listed"), help: "List at most this many findings of each kind, and leads (default 1000; counts stay exact).")
    var maximumListed = 1_000
    @Option(name: .customLong("now"), help: ArgumentHelp("The report's generation time as UNIX time (tests).", visibility: .hidden))
    var nowOverride: Double?

    func validate() throws {
        guard (issuer == nil) == (kid == nil) else { throw ValidationError("--issuer and --kid go together: they name one key") }
        if let issuer, issuer.isEmpty { throw ValidationError("--issuer must not be empty") }
        if let kid, kid.isEmpty { throw ValidationError("--kid must not be empty") }
        guard lookbackDays.isFinite, lookbackDays > 0, lookbackDays <= 3_650 else {
            throw ValidationError("--lookback-days must be a number of days between 0 and 3650")
        }
        guard maximumListed >= 0 else { throw ValidationError("--max-listed must not be negative") }
        let window = try times()
        if let since = window.since, let until = window.until, since > until { throw ValidationError("--since is after --until") }
        if let nowOverride { try CLIInput.validateUnixTime(nowOverride, option: "--now") }
    }

    func run() async throws { try await outcome().finish() }

    /// Runs the hunt and says what to print and how to exit (tests call it in-process).
    func outcome() async throws(CLIError) -> HuntOutcome {
        let window: (since: Date?, until: Date?)
        do { window = try times() } catch { throw CLIError("\(error)") }
        let report: HuntReport
        do {
            let stores = try await openStores()
            let configuration = HuntConfiguration(
                audit: stores.audit, keyStore: stores.keys, ledger: stores.ledger,
                key: issuer.flatMap { issuer in kid.map { HuntConfiguration.KeySelector(issuer: issuer, keyID: $0) } },
                since: window.since, until: window.until, lookback: lookbackDays * 86_400, maximumListed: maximumListed,
                now: nowOverride.map { Date(timeIntervalSince1970: $0) } ?? Date())
            report = try await Hunt.run(configuration)
        } catch let error as CLIError {
            throw error
        } catch let error as HuntError {
            throw CLIError(error.message)
        } catch let error as StoreError {
            throw CLIError(error.message)
        } catch let error as AuditError {
            throw CLIError(error.message)
        } catch {
            throw CLIError("\(error)")
        }
        var outcome = HuntOutcome(status: report.isMalicious ? 1 : 0)
        let rendered = report.rendered(as: format)
        if let out {
            do {
                try Data(rendered.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw CLIError("cannot write the report to '\(out)': \(error.localizedDescription)")
            }
            outcome.stdout = "hunt: \(report.isMalicious ? "MALICIOUS ACTIVITY FOUND (\(report.maliciousCount) findings)" : "nothing malicious found"), "
                + "\(report.leadCount) first-time-access leads; \(format.rawValue) report written to \(out)\n"
        } else {
            outcome.stdout = rendered
        }
        return outcome
    }

    /// The three stores, read only: files in an SQLite data directory (the audit log in `--audit`
    /// if given), or the shared PostgreSQL database (where `--audit` has no meaning).
    func openStores() async throws -> (keys: any KeyStore, ledger: any ProviderStore, audit: HuntAuditSource) {
        switch try KeyboundCLI.location(database: database, data: dataDirectory) {
        case .sqlite(let data):
            let audit = auditDirectory.map { URL(fileURLWithPath: $0) } ?? data
            for (directory, file, what) in [(data, SQLiteKeyStore.fileName, "key store"), (data, SQLiteProviderStore.fileName, "issuance ledger"),
                                            (audit, AuditLog.fileName, "audit log")] {
                let path = directory.appendingPathComponent(file).path
                guard FileManager.default.fileExists(atPath: path) else { throw CLIError("no \(what) at '\(path)'") }
            }
            return (try SQLiteKeyStore(directory: data), try SQLiteProviderStore(directory: data), .sqliteDirectory(audit))
        case .postgres(let settings):
            guard auditDirectory == nil else { throw CLIError("--audit names an SQLite directory; on PostgreSQL the audit log is in the database") }
            let stores = try await KeyboundCLI.openDatabase(settings)
            return (stores.keys, stores.provider, .log(try await AuditLog.openForReading(database: stores.database)))
        }
    }

    /// `--since` and `--until` as dates.
    func times() throws -> (since: Date?, until: Date?) {
        func parse(_ text: String?, _ option: String) throws -> Date? {
            guard let text else { return nil }
            guard let date = HuntTimeText.parse(text) else {
                throw ValidationError("\(option) must be UNIX seconds or an ISO 8601 date or time (2027-01-15 or 2027-01-15T08:00:00Z)")
            }
            return date
        }
        return (try parse(since, "--since"), try parse(until, "--until"))
    }
}

/// What `keybound hunt` prints and how it exits.
struct HuntOutcome {
    var status: Int32
    var stdout: String?

    /// Writes stdout (through FileHandle, not `print`) and exits with `status` when it is not 0.
    func finish() throws {
        if let stdout { FileHandle.standardOutput.write(Data(stdout.utf8)) }
        if status != 0 { throw ExitCode(status) }
    }
}
