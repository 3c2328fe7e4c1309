import Foundation
package import KeyboundPostgres

/// Where a node keeps its stores: the one storage setting, resolved in one place for every command.
///
/// | Written | Means |
/// |---|---|
/// | `sqlite:DIR` | the embedded default: SQLite files in directory `DIR` |
/// | `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…]` | PostgreSQL (``PostgresConnectionSettings``; the password comes from a file, never the URL) |
///
/// ``resolve(database:data:environment:configured:defaultDirectory:)`` takes the first source that
/// is set: the command line (`--database`, or `--data DIR` as shorthand for `sqlite:DIR`), then
/// the environment (`KEYBOUND_DATABASE`, or `KEYBOUND_DATA`), then the config file's `database`,
/// then `sqlite:keybound-data`. Giving both forms at one level is an error rather than a guess.
package enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// SQLite files in a directory.
    case sqlite(directory: URL)
    /// A PostgreSQL database.
    case postgres(PostgresConnectionSettings)

    /// The directory used when nothing is configured.
    package static let defaultDirectory = "keybound-data"

    /// Reads one written location.
    package init(parsing text: String) throws(StoreError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw StoreError(.storage, "name a directory: --database sqlite:DIR") }
            self = .sqlite(directory: URL(fileURLWithPath: path))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            do {
                self = .postgres(try PostgresConnectionSettings(url: text))
            } catch {
                throw StoreError(.storage, error.message)
            }
        } else {
            let shown = text.contains("@") ? "(a URL with credentials)" : "'\(text)'"
            throw StoreError(.storage, "unknown database \(shown): write sqlite:DIR or postgres://USER@HOST/DATABASE")
        }
    }

    /// Resolves the setting from the command line's `--database` and `--data`, then `environment`,
    /// then `configured` (the config file's `database`), then `sqlite:` `defaultDirectory`.
    package static func resolve(database: String?, data: String?, environment: [String: String], configured: String? = nil,
                                defaultDirectory: String = defaultDirectory) throws(StoreError) -> DatabaseLocation {
        if let location = try level(database: database, data: data, names: ("--database", "--data")) { return location }
        if let location = try level(database: environment["KEYBOUND_DATABASE"], data: environment["KEYBOUND_DATA"],
                                    names: ("KEYBOUND_DATABASE", "KEYBOUND_DATA")) { return location }
        if let configured, !configured.isEmpty { return try DatabaseLocation(parsing: configured) }
        return .sqlite(directory: URL(fileURLWithPath: defaultDirectory))
    }

    private static func level(database: String?, data: String?, names: (String, String)) throws(StoreError) -> DatabaseLocation? {
        let database = database.flatMap { $0.isEmpty ? nil : $0 }, data = data.flatMap { $0.isEmpty ? nil : $0 }
        switch (database, data) {
        case (.some, .some):
            throw StoreError(.storage, "give \(names.0) or \(names.1), not both (\(names.1) DIR is short for \(names.0) sqlite:DIR)")
        case (.some(let database), nil):
            return try DatabaseLocation(parsing: database)
        case (nil, .some(let data)):
            return .sqlite(directory: URL(fileURLWithPath: data))
        case (nil, nil):
            return nil
        }
    }

    /// The location as it may be logged (a PostgreSQL URL never holds a password).
    package var description: String {
        switch self {
        case .sqlite(let directory): "sqlite:\(directory.path)"
        case .postgres(let settings): settings.description
        }
    }
}
