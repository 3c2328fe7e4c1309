import ArgumentParser
import Foundation
import Keybound
import KeyboundIncident
import KeyboundAudit
import KeyboundStore
import Logging

/// `keybound incident ...`: respond to a compromised signing key.
struct IncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident", abstract: "Respond to a compromised signing key: contain, hunt, notify.",
        discussion: "See docs/incident-response.md.",
        subcommands: [IncidentRespondCommand.self, IncidentListCommand.self, IncidentShowCommand.self, IncidentExportCommand.self])
}

/// `keybound incident respond --issuer ID --kid KID --reason TEXT`.
struct IncidentRespondCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respond",
        abstract: "Revoke the key, activate a fresh one, revoke its tokens, hunt, and write the incident's documents.",
        discussion: """
            Idempotent and resumable: run it again after an interruption and it completes the remaining \
            steps without repeating any (steps: \(IncidentStep.allCases.map(\.rawValue).joined(separator: ", "))). \
            On SQLite the incident is the folder <data>/incidents/<id>: incident.json, timeline.md, summary.json, affected.md, \
            hunt.md, hunt.json and notices/<tenant>.md|.json. On PostgreSQL the same documents are in the database \
            (`keybound incident export` writes them out).
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The issuer id whose key is compromised.") var issuer: String
    @Option(name: .customLong("kid"), help: "The compromised key's kid.") var keyID: String
    @Option(help: "Why (recorded with the revocation).") var reason: String
    @Option(name: .customLong("audit"), help: "SQLite only: directory of audit.sqlite (default: the data directory).") var auditDirectory: String?

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason must not be empty") }
        _ = try IncidentKillHook.step(in: ProcessInfo.processInfo.environment)
    }

    func run() async throws {
        let kill = try IncidentKillHook.step(in: ProcessInfo.processInfo.environment)
        let (manager, stores) = try await store.openIncidentStores(auditDirectory: auditDirectory)
        let now = store.now
        let responder = IncidentResponder(manager: manager, stores: stores, now: { now }) { step in
            if step == kill { Foundation.exit(137) }
        }
        let request = IncidentResponder.Request(issuerID: issuer, keyID: keyID, reason: reason, actor: store.actor)
        let record: IncidentRecord
        do { record = try await responder.respond(request) } catch let error as StoreError {
            throw CLIError(error)
        } catch {
            throw CLIError("\(error)")
        }
        print(try await IncidentOutput.render(record, store: stores.incidents, json: store.json))
    }
}

/// `keybound incident list`.
struct IncidentListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the incidents of a data directory or database.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let incidents = try await store.openIncidentStore()
        let records: [IncidentRecord]
        do { records = try await incidents.incidents() } catch { throw CLIError(error.description) }
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
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one incident's steps and documents; with --document, print one document.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The incident id (see `keybound incident list`).") var id: String
    @Option(help: "Print this document of the incident (timeline.md, affected.md, notices/<tenant>.md, …).") var document: String?

    func run() async throws {
        let incidents = try await store.openIncidentStore()
        let record = try await IncidentOutput.load(id, from: incidents)
        if let document {
            let text: String?
            do { text = try await incidents.document(named: document, incidentID: record.id) } catch { throw CLIError(error.description) }
            guard let text else { throw CLIError("incident \(record.id) has no document '\(document)' (see `keybound incident show \(record.id)`)") }
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            return
        }
        print(try await IncidentOutput.render(record, store: incidents, json: store.json))
    }
}

/// `keybound incident export ID --to DIR`.
struct IncidentExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write an incident's state and documents as files into DIR/<id>/ (to send or archive).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The incident id (see `keybound incident list`).") var id: String
    @Option(help: "The directory to write into; DIR/<id> must not exist yet.") var to: String

    func run() async throws {
        let incidents = try await store.openIncidentStore()
        let record = try await IncidentOutput.load(id, from: incidents)
        let target = FolderIncidentStore(root: URL(fileURLWithPath: to))
        guard !FileManager.default.fileExists(atPath: target.folder(id: record.id).url.path) else {
            throw CLIError("'\(target.folder(id: record.id).url.path)' exists already; export into an empty place")
        }
        do {
            try await target.save(record)
            for name in try await incidents.documentNames(incidentID: record.id) {
                guard let text = try await incidents.document(named: name, incidentID: record.id) else { continue }
                try await target.write(text, named: name, incidentID: record.id)
            }
        } catch {
            throw CLIError(error.description)
        }
        print(try await IncidentOutput.render(record, store: target, json: store.json))
    }
}

extension StoreOptions {
    /// The incidents: the data directory's folder, or the database's tables (no KEK needed).
    func openIncidentStore() async throws(CLIError) -> any IncidentStore {
        switch try location() {
        case .sqlite(let directory):
            return FolderIncidentStore(dataDirectory: directory)
        case .postgres(let settings):
            do {
                let stores = try await KeyboundCLI.openDatabase(settings)
                return try await PostgresIncidentStore.open(database: stores.database)
            } catch let error as StoreError {
                throw CLIError(error)
            } catch {
                throw CLIError("\(error)")
            }
        }
    }

    /// Everything a response needs: the key manager (with the KEK), the ledger, the audit log the
    /// hunt reads and the incidents, on SQLite files (`audit.sqlite` in `auditDirectory`, default
    /// the data directory) or on PostgreSQL.
    func openIncidentStores(auditDirectory: String?) async throws(CLIError) -> (KeyManager, IncidentResponder.Stores) {
        let (manager, postgres) = try await openKeyStores(allowDevelopmentKEK: true)
        do {
            if let postgres {
                guard auditDirectory == nil else { throw CLIError("--audit names an SQLite directory; on PostgreSQL the audit log is in the database") }
                return (manager, IncidentResponder.Stores(
                    keyStore: postgres.keys, ledger: postgres.provider, audit: .log(try await AuditLog.openForReading(database: postgres.database)),
                    incidents: try await PostgresIncidentStore.open(database: postgres.database)))
            }
            let directory = try sqliteDirectory()
            return (manager, IncidentResponder.Stores(
                keyStore: manager.store, ledger: try SQLiteProviderStore(directory: directory),
                audit: .sqliteDirectory(auditDirectory.map { URL(fileURLWithPath: $0) } ?? directory),
                incidents: FolderIncidentStore(dataDirectory: directory)))
        } catch let error as CLIError {
            throw error
        } catch let error as StoreError {
            throw CLIError(error)
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// How the incident commands print an incident.
enum IncidentOutput {
    /// The incident `id`, or a one-line refusal.
    static func load(_ id: String, from store: any IncidentStore) async throws(CLIError) -> IncidentRecord {
        guard id.hasPrefix("INC-"), !id.contains("/"), !id.contains("..") else { throw CLIError("'\(id)' is not an incident id") }
        let loaded: IncidentRecord?
        do { loaded = try await store.incident(id: id) } catch { throw CLIError(error.description) }
        guard let loaded else { throw CLIError("no incident '\(id)' in \(store.location)") }
        return loaded
    }

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

    /// The incident as text or JSON, with its documents (and its folder, for a folder store).
    static func render(_ record: IncidentRecord, store: any IncidentStore, json: Bool) async throws(CLIError) -> String {
        let documents: [String]
        do { documents = try await store.documentNames(incidentID: record.id) } catch { throw CLIError(error.description) }
        let folder = (store as? FolderIncidentStore)?.folder(id: record.id).url.path
        if json {
            var object = self.object(record)
            object["documents"] = .array(documents.map(JSONValue.string))
            object["store"] = .string(store.location)
            if let folder { object["folder"] = .string(folder) }
            return JSONWriter().string(.object(object))
        }
        var lines = ["incident \(record.id): \(record.isClosed ? "closed" : "open") — key \(record.keyID) of \(record.issuerID) (\(record.reason))"]
        for step in record.completed { lines.append("  ✓ \(step.step.rawValue): \(step.detail)") }
        if let next = record.nextStep { lines.append("  … next: \(next.rawValue)") }
        lines.append(folder.map { "folder: \($0)" } ?? "store: \(store.location) (keybound incident export \(record.id) --to DIR writes it out)")
        let notices = documents.filter { $0.hasPrefix("notices/") && $0.hasSuffix(".md") }
        lines.append("notices: \(notices.isEmpty ? "none (no organisation affected)" : notices.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}
