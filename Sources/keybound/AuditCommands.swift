import ArgumentParser
import Foundation
import Keybound
import KeyboundAudit
import KeyboundPostgres
import KeyboundStore
import Logging

/// `keybound audit ...`: the tamper-evident audit log of a protected resource.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The tamper-evident audit log: verify it, prune it, export its checkpoints.",
        discussion: "See docs/audit.md. Exit codes: 0 = intact or done, 1 = tampering found, 2 = bad flags or unreadable files.",
        subcommands: [AuditVerifyCommand.self, AuditPruneCommand.self, AuditCheckpointsCommand.self])
}

/// Options shared by the audit commands.
struct AuditOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data directory holding audit.sqlite (default: $KEYBOUND_DATA or ./keybound-data).")
    var dataDirectory: String?
    @Option(name: .customLong("database"), help: "Where the stores live: sqlite:DIR or postgres://… (default: $KEYBOUND_DATABASE, else as --data).")
    var database: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Option(name: .customLong("now"), help: ArgumentHelp("Act as of this UNIX time (drills and tests).", visibility: .hidden))
    var nowOverride: Double?

    func validate() throws {
        if let nowOverride { try CLIInput.validateUnixTime(nowOverride, option: "--now") }
        do { _ = try location() } catch { throw ValidationError(error.message) }
    }

    var now: Date { nowOverride.map { Date(timeIntervalSince1970: $0) } ?? Date() }

    /// Where the log is: `audit.sqlite` in a data directory, or the shared PostgreSQL database.
    func location() throws(CLIError) -> DatabaseLocation { try KeyboundCLI.location(database: database, data: dataDirectory) }

    /// The database of a PostgreSQL location (a small pool; the schema brought up to date).
    func openDatabase(_ settings: PostgresConnectionSettings) async throws(CLIError) -> PostgresStores {
        try await storeCall { () async throws(StoreError) in try await KeyboundCLI.openDatabase(settings) }
    }

    /// Opens the existing log (never creates one). On SQLite with its key file; on PostgreSQL with
    /// the audit key sealed in the key store (the KEK must be configured), since pruning and
    /// sealing sign.
    func openLog() async throws(CLIError) -> AuditLog {
        switch try location() {
        case .sqlite(let directory):
            let file = directory.appendingPathComponent(AuditLog.fileName)
            guard FileManager.default.fileExists(atPath: file.path) else { throw CLIError("no audit log at '\(file.path)'") }
            do {
                return try AuditLog(directory: directory)
            } catch {
                throw CLIError(error.message)
            }
        case .postgres(let settings):
            let stores = try await openDatabase(settings)
            let kek = try await TokenKEKSource.kekForDatabase()
            do {
                let manager = try await KeyManager(store: stores.keys, kek: kek)
                let secret = try await manager.sealedSecret(.auditSigningKey) { AuditSigningKey.generatePrivateKeyBytes() }
                return try await AuditLog.open(database: stores.database, signingKey: try AuditSigningKey(privateKeyBytes: secret))
            } catch let error as StoreError {
                throw CLIError(error)
            } catch let error as AuditError {
                throw CLIError(error.message)
            } catch {
                throw CLIError("\(error)")
            }
        }
    }
}

/// What a command prints and how it exits (so tests can run it in-process).
struct AuditOutcome {
    var status: Int32 = 0
    var stdout: String?
    var stderr: String?

    /// Prints and exits with `status` when it is not 0.
    func finish() throws {
        if let stdout { print(stdout) }
        if let stderr { FileHandle.standardError.write(Data("keybound: \(stderr)\n".utf8)) }
        if status != 0 { throw ExitCode(status) }
    }
}

/// `keybound audit verify`
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Recompute the hash chain and check every checkpoint signature.",
        discussion: "Exits 0 when the log is intact and 1, naming the first problem on stderr (\"record 1234 was changed\"), when it is not. Records after the last checkpoint are chained but not signed: export checkpoints (audit checkpoints --seal --last) and pass one back with --anchor to detect a cut tail.")
    @OptionGroup var options: AuditOptions
    @Option(name: .customLong("key-id"), help: "Trust only this audit key id (the thumbprint printed by a previous verify).")
    var keyID: String?
    @Option(help: "A checkpoint exported earlier (JSON from `audit checkpoints --last`); it must still be in the log, unchanged.")
    var anchor: String?

    func run() async throws { try await outcome().finish() }

    func outcome() async throws(CLIError) -> AuditOutcome {
        var anchorCheckpoint: AuditCheckpoint?
        if let anchor {
            let object = try CLIInput.jsonObject(try CLIInput.readFile(anchor, what: "anchor checkpoint"), what: "the anchor checkpoint")
            guard let checkpoint = AuditCheckpoint(json: object) else { throw CLIError("'\(anchor)' is not an exported audit checkpoint") }
            anchorCheckpoint = checkpoint
        }
        let report: AuditVerificationReport
        switch try options.location() {
        case .sqlite(let directory):
            do {
                report = try AuditVerifier.verify(directory: directory, trustedKeyID: keyID, anchor: anchorCheckpoint)
            } catch {
                throw CLIError(error.message)
            }
        case .postgres(let settings):
            // Read only: the public keys are in the log; no KEK is needed.
            let stores = try await options.openDatabase(settings)
            do {
                report = try await AuditVerifier.verify(database: stores.database, trustedKeyID: keyID, anchor: anchorCheckpoint)
            } catch {
                throw CLIError(error.message)
            }
        }
        var outcome = AuditOutcome()
        outcome.stdout = options.json ? JSONWriter().string(.object(report.jsonObject)) : report.summary
            + (report.keyIDs.isEmpty ? "" : "; signed by \(report.keyIDs.joined(separator: ", "))")
        if let problem = report.problem {
            outcome.status = 1
            outcome.stderr = "audit log tampered: \(problem.description)"
            if !options.json { outcome.stdout = nil }
        }
        return outcome
    }
}

/// `keybound audit prune`
struct AuditPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove whole segments whose records are all older than the retention.",
        discussion: "Only whole, checkpointed segments go; their checkpoints stay and a signed prune record is written, so `audit verify` still proves the rest.")
    @OptionGroup var options: AuditOptions
    @Option(name: .customLong("older-than"), help: "Retention: remove segments whose newest record is older than this (30d, 24h, …).")
    var olderThan: String = "180d"

    func validate() throws {
        guard DurationText.parse(olderThan) != nil else { throw CLIError("--older-than must be a positive duration such as 180d, 24h or 3600") }
    }

    func run() async throws { try await outcome().finish() }

    func outcome() async throws(CLIError) -> AuditOutcome {
        guard let retention = DurationText.parse(olderThan) else { throw CLIError("--older-than must be a positive duration") }
        let log = try await options.openLog()
        let cutoff = options.now.addingTimeInterval(-retention)
        let result: AuditPruneResult
        do {
            result = try await log.prune(olderThan: cutoff, now: options.now)
        } catch {
            throw CLIError(error.message)
        }
        var outcome = AuditOutcome()
        if options.json {
            outcome.stdout = JSONWriter().string(.object(JSONObject([
                "segments_removed": .number(Double(result.segmentsRemoved)), "records_removed": .number(Double(result.recordsRemoved)),
                "through_sequence": result.pruneRecord.map { .number(Double($0.throughSequence)) } ?? .null,
                "cutoff": .string(cutoff.formatted(.iso8601)),
            ])))
        } else if let record = result.pruneRecord {
            outcome.stdout = "removed \(result.segmentsRemoved) segments (\(result.recordsRemoved) records, through record \(record.throughSequence)) older than \(cutoff.formatted(.iso8601))"
        } else {
            outcome.stdout = "nothing to prune: no whole segment is older than \(cutoff.formatted(.iso8601))"
        }
        return outcome
    }
}

/// `keybound audit checkpoints`
struct AuditCheckpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints", abstract: "Export the signed checkpoints (JSON), to anchor the log outside this machine.",
        discussion: "With --seal, first sign a checkpoint over the records not yet covered. Save the --last output elsewhere and pass it to `audit verify --anchor`.")
    @OptionGroup var options: AuditOptions
    @Flag(help: "Sign a checkpoint over the records appended since the last one first.") var seal = false
    @Flag(help: "Print only the last checkpoint (an anchor for `audit verify --anchor`).") var last = false

    func run() async throws { try await outcome().finish() }

    func outcome() async throws(CLIError) -> AuditOutcome {
        let log = try await options.openLog()
        let checkpoints: [AuditCheckpoint]
        do {
            if seal { try await log.checkpoint(now: options.now) }
            checkpoints = try await log.checkpoints()
        } catch {
            throw CLIError(error.message)
        }
        var outcome = AuditOutcome()
        if last {
            guard let final = checkpoints.last else { throw CLIError("the audit log has no checkpoint yet (use --seal)") }
            outcome.stdout = JSONWriter().string(.object(final.jsonObject))
        } else {
            outcome.stdout = JSONWriter().string(.object(JSONObject(["checkpoints": .array(checkpoints.map { .object($0.jsonObject) })])))
        }
        return outcome
    }
}
