import ArgumentParser
import Foundation
import Keybound
import KeyboundAudit
import KeyboundIncident
import KeyboundApp
import KeyboundMail
import KeyboundResourceKit
import KeyboundPostgres
import KeyboundStore
import Logging

/// `keybound migrate --from sqlite:DIR --to postgres://…`: copies a data directory's stores (keys,
/// provider, audit log, mail, incidents) into an empty PostgreSQL database (docs/storage.md,
/// "Moving to PostgreSQL").
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy every store of a SQLite data directory into an empty PostgreSQL database.",
        discussion: """
            Keys are copied sealed, under the KEK they have: every node on the database needs that KEK. \
            Sequence numbers (key events, the ledger, token events, the audit chain) are kept. The audit log \
            must pass `audit verify` first; it is copied as stored, with its checkpoints, and its key file's \
            private key is sealed into the key store under the KEK (KEYBOUND_KEK_FILE, the store's own). \
            Keybound Mail's mailboxes and messages and the incidents come along. The copy is one transaction: \
            all of it, or nothing. A database that is not empty is refused.
            """)

    @Option(help: "The source: sqlite:DIR.") var from: String
    @Option(help: "The target: postgres://USER@HOST[:PORT]/DATABASE (password from KEYBOUND_DATABASE_PASSWORD_FILE or PGPASSFILE).")
    var to: String
    @Flag(help: "Print JSON instead of lines.") var json = false

    func run() async throws {
        let source: URL
        let target: DatabaseLocation
        do {
            guard case .sqlite(let directory) = try DatabaseLocation(parsing: from) else {
                throw CLIError("--from must be sqlite:DIR")
            }
            target = try DatabaseLocation(parsing: to)
            guard case .postgres = target else { throw CLIError("--to must be a postgres:// URL") }
            source = directory
        } catch let error as StoreError {
            throw CLIError(error)
        }
        guard FileManager.default.fileExists(atPath: source.appendingPathComponent(SQLiteKeyStore.fileName).path) else {
            throw CLIError("no key store in '\(source.path)' (\(SQLiteKeyStore.fileName))")
        }
        let environment = ProcessInfo.processInfo.environment
        var parts: [MigrationPart] = []
        var sealing: [(SealedSecret, [UInt8])] = []
        var kek: KeyEncryptionKey?
        do {
            if let audit = try AuditMigration.part(directory: source) {
                parts.append(audit.part)
                sealing.append((.auditSigningKey, audit.signingKey))
                kek = try await TokenKEKSource.kekForDatabase(environment: environment)
            }
            // Each shipped resource's own file (mail.sqlite, files.sqlite).
            for case let resource as any MigratingResource.Type in ProviderResources.shipped {
                if let part = resource.migrationPart(directory: source) { parts.append(part) }
            }
            if let incidents = try await IncidentMigration.part(dataDirectory: source) { parts.append(incidents) }
        } catch let error as AuditError {
            throw CLIError(error.message)
        } catch let error as StoreError {
            throw CLIError(error)
        } catch {
            throw CLIError("\(error)")
        }
        let report = try await storeCall { () async throws(StoreError) in
            try await StoreMigration.copy(from: source, to: target, environment: environment, logger: KeyboundCLI.databaseLogger,
                                          sealing: sealing, kek: kek, parts: parts)
        }
        if json {
            var copied = JSONObject(), leftBehind = JSONObject()
            for (table, rows) in report.copied { copied[table] = .number(Double(rows)) }
            for (table, rows) in report.leftBehind { leftBehind[table] = .number(Double(rows)) }
            CLIOutput.printJSON(JSONObject(["copied": .object(copied), "left_behind": .object(leftBehind)]))
        } else {
            print("copied \(source.path) into \(target):")
            for (table, rows) in report.copied { print("  \(table): \(rows)") }
            for (table, rows) in report.leftBehind { print("  left behind in \(table): \(rows) (they name no issuer)") }
        }
    }
}
