import ArgumentParser
import Foundation
import Keybound
import KeyboundIncident
import KeyboundStore

/// `keybound incident ...`: respond to a compromised signing key.
struct IncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident", abstract: "Respond to a compromised signing key: contain, hunt, notify.",
        discussion: "See docs/incident-response.md.",
        subcommands: [IncidentRespondCommand.self, IncidentListCommand.self, IncidentShowCommand.self])
}

/// `keybound incident respond --issuer ID --kid KID --reason TEXT`.
struct IncidentRespondCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respond",
        abstract: "Revoke the key, activate a fresh one, revoke its tokens, hunt, and write the incident folder.",
        discussion: """
            Idempotent and resumable: run it again after an interruption and it completes the remaining \
            steps without repeating any (steps: \(IncidentStep.allCases.map(\.rawValue).joined(separator: ", "))). \
            The folder is <data>/incidents/<id>: incident.json, timeline.md, summary.json, affected.md, hunt.md, \
            hunt.json and notices/<tenant>.md|.json.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id whose key is compromised.") var issuer: String
    @Option(name: .customLong("kid"), help: "The compromised key's kid.") var keyID: String
    @Option(help: "Why (recorded with the revocation).") var reason: String
    @Option(name: .customLong("audit"), help: "Directory of audit.sqlite (default: the data directory).") var auditDirectory: String?
    @Option(name: .customLong("kill-after"), help: ArgumentHelp("Exit abruptly after this step's effect, before recording it (tests).", visibility: .hidden))
    var killAfter: String?

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason must not be empty") }
        if let killAfter, IncidentStep(rawValue: killAfter) == nil {
            throw ValidationError("--kill-after must be one of \(IncidentStep.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let directory = try store.sqliteDirectory()
        let manager = try await store.openManager()
        let keyStore = try storeCall { () throws(StoreError) in try SQLiteKeyStore(directory: directory) }
        let ledger = try storeCall { () throws(StoreError) in try SQLiteProviderStore(directory: directory) }
        let kill = killAfter.flatMap(IncidentStep.init(rawValue:))
        let now = store.now
        let responder = IncidentResponder(manager: manager, keyStore: keyStore, ledger: ledger, now: { now }) { step in
            if step == kill { Foundation.exit(137) }
        }
        let request = IncidentResponder.Request(
            issuerID: issuer, keyID: keyID, reason: reason, dataDirectory: directory,
            auditDirectory: auditDirectory.map { URL(fileURLWithPath: $0) }, actor: store.actor)
        let (record, folder): (IncidentRecord, IncidentFolder)
        do { (record, folder) = try await responder.respond(request) } catch let error as StoreError {
            throw CLIError(error)
        } catch {
            throw CLIError("\(error)")
        }
        if store.json {
            print(IncidentOutput.json(record, folder: folder))
        } else {
            print(IncidentOutput.text(record, folder: folder))
        }
    }
}

/// `keybound incident list`.
struct IncidentListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the incidents of a data directory.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let directory = try store.sqliteDirectory()
        let records: [IncidentRecord]
        do { records = try IncidentCatalog.list(root: IncidentResponder.incidentsRoot(directory)) } catch { throw CLIError(error.description) }
        if store.json {
            print(JSONWriter().string(.object(JSONObject(["incidents": .array(records.map { .object(IncidentOutput.object($0)) })]))))
            return
        }
        if records.isEmpty { print("no incidents") }
        for record in records {
            print("\(record.id)  \(record.isClosed ? "closed" : "open at \(record.nextStep?.rawValue ?? "?")")  \(record.issuerID)/\(record.keyID)  \(record.reason)")
        }
    }
}

/// `keybound incident show ID`.
struct IncidentShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one incident's steps and files.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The incident id (see `keybound incident list`).") var id: String

    func run() async throws {
        let directory = try store.sqliteDirectory()
        guard id.hasPrefix("INC-"), !id.contains("/"), !id.contains("..") else { throw CLIError("'\(id)' is not an incident id") }
        let folder = IncidentFolder(root: IncidentResponder.incidentsRoot(directory), id: id)
        let loaded: IncidentRecord?
        do { loaded = try folder.load() } catch { throw CLIError(error.description) }
        guard let record = loaded else { throw CLIError("no incident '\(id)' in \(directory.path)") }
        print(store.json ? IncidentOutput.json(record, folder: folder) : IncidentOutput.text(record, folder: folder))
    }
}

/// How the incident commands print an incident.
enum IncidentOutput {
    static func object(_ record: IncidentRecord) -> JSONObject {
        JSONObject([
            "id": .string(record.id), "issuer_id": .string(record.issuerID), "issuer": .string(record.issuerURL),
            "kid": .string(record.keyID), "reason": .string(record.reason), "closed": .bool(record.isClosed),
            "fresh_kid": record.freshKeyID.map(JSONValue.string) ?? .null,
            "tokens_revoked": record.tokensRevoked.map { .number(Double($0)) } ?? .null,
            "chains_revoked": record.chainsRevoked.map { .number(Double($0)) } ?? .null,
            "steps": .array(record.completed.map { .object(JSONObject(["step": .string($0.step.rawValue), "detail": .string($0.detail)])) }),
        ])
    }

    static func json(_ record: IncidentRecord, folder: IncidentFolder) -> String {
        var object = self.object(record)
        object["folder"] = .string(folder.url.path)
        return JSONWriter().string(.object(object))
    }

    static func text(_ record: IncidentRecord, folder: IncidentFolder) -> String {
        var lines = ["incident \(record.id): \(record.isClosed ? "closed" : "open") — key \(record.keyID) of \(record.issuerID) (\(record.reason))"]
        for step in record.completed { lines.append("  ✓ \(step.step.rawValue): \(step.detail)") }
        if let next = record.nextStep { lines.append("  … next: \(next.rawValue)") }
        lines.append("folder: \(folder.url.path)")
        let notices = (try? FileManager.default.contentsOfDirectory(atPath: folder.noticesFolder.path).filter { $0.hasSuffix(".md") }.sorted()) ?? []
        lines.append("notices: \(notices.isEmpty ? "none (no organisation affected)" : notices.map { "notices/\($0)" }.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}
