import Foundation
import Keybound

/// Where a node finds its database password: never the command line or the URL.
///
/// 1. `KEYBOUND_DATABASE_PASSWORD_FILE`: a file whose contents (less one trailing newline) are the
///    password.
/// 2. Otherwise libpq's password file: `PGPASSFILE`, or `~/.pgpass` when that exists. Its lines are
///    `host:port:database:user:password`, `*` matches any value, `\:` and `\\` escape; the first
///    matching line wins.
/// 3. Otherwise no password (the server authenticates by other means, for example a client
///    certificate or `trust` on a test server).
///
/// A password file that its group or others may read is refused (libpq only warns): a password
/// readable by every local user is not a secret.
package enum PostgresPasswordSource {
    /// The environment variable that names a file holding the password.
    package static let passwordFileVariable = "KEYBOUND_DATABASE_PASSWORD_FILE"

    /// The password for `settings`, or `nil` when no file provides one.
    package static func password(for settings: PostgresConnectionSettings,
                                 environment: [String: String]) throws(PostgresStorageError) -> String? {
        if let path = environment[passwordFileVariable], !path.isEmpty {
            var text = try read(path, what: passwordFileVariable)
            if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
            guard !text.isEmpty else {
                throw PostgresStorageError(.passwordFile, "the password file '\(path)' (\(passwordFileVariable)) is empty")
            }
            return text
        }
        let pgpass: String
        if let path = environment["PGPASSFILE"], !path.isEmpty {
            pgpass = path
        } else if let home = environment["HOME"], FileManager.default.fileExists(atPath: home + "/.pgpass") {
            pgpass = home + "/.pgpass"
        } else {
            return nil
        }
        return lookup(settings, in: try read(pgpass, what: "PGPASSFILE"))
    }

    /// The password of the first line of a pgpass text that matches `settings`.
    package static func lookup(_ settings: PostgresConnectionSettings, in text: String) -> String? {
        let wanted = [settings.host, String(settings.port), settings.database, settings.username]
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            if line.hasPrefix("#") { continue }
            let fields = split(line)
            guard fields.count == 5 else { continue }
            let matches = zip(fields.prefix(4), wanted).allSatisfy { field, value in field == "*" || field == value }
            if matches { return fields[4] }
        }
        return nil
    }

    /// Splits a pgpass line on unescaped colons, resolving `\:` and `\\`.
    private static func split(_ line: Substring) -> [String] {
        var fields: [String] = [], current = "", escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    private static func read(_ path: String, what: String) throws(PostgresStorageError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFileReader.ownerOnlyContents(ofFile: path, limit: 65_536)
        } catch {
            switch error {
            case .missing:
                throw PostgresStorageError(.passwordFile, "cannot read the password file '\(path)' (\(what)): it does not exist")
            case .readableByOthers:
                throw PostgresStorageError(.passwordFile, "the password file '\(path)' (\(what)) may be read by others: chmod 600 it")
            case .notRegularFile:
                throw PostgresStorageError(.passwordFile, "the password file '\(path)' (\(what)) is not a regular file")
            case .tooLarge:
                throw PostgresStorageError(.passwordFile, "the password file '\(path)' (\(what)) is larger than 64 KiB")
            case .unreadable(let reason):
                throw PostgresStorageError(.passwordFile, "cannot read the password file '\(path)' (\(what)): \(reason)")
            }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw PostgresStorageError(.passwordFile, "the password file '\(path)' (\(what)) is not UTF-8 text")
        }
        return text
    }
}
