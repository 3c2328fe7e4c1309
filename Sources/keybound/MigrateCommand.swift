import ArgumentParser
import Foundation
import Keybound
import KeyboundStore
import Logging

/// `keybound migrate --from sqlite:DIR --to postgres://…`: copies a data directory's key store and
/// provider store into an empty PostgreSQL database (docs/storage.md, "Moving to PostgreSQL").
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy the key and provider stores of a SQLite data directory into an empty PostgreSQL database.",
        discussion: """
            Keys are copied sealed, under the KEK they have: every node on the database needs that KEK. \
            Sequence numbers (key events, the ledger, token events) are kept. The copy is one transaction: \
            all of it, or nothing. A database that is not empty is refused. Keybound Mail's mailboxes, \
            the audit log and incidents stay in the directory for now.
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
        let report = try await storeCall { () async throws(StoreError) in
            try await StoreMigration.copy(from: source, to: target, environment: environment, logger: Logger(label: "keybound.database"))
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
