import Keybound
import PostgresNIO

/// Why the PostgreSQL backend refused or failed: a code for programs and one line for people.
///
/// Messages name the database by its redacted URL (``PostgresConnectionSettings/description``)
/// and never carry a password.
package typealias PostgresStorageError = CodedError<PostgresStorageErrorCode>

/// The codes of ``PostgresStorageError``. What went wrong.
package enum PostgresStorageErrorCode: String, ErrorCode, CaseIterable {
    /// The `postgres://` URL or one of its parameters is not acceptable.
    case badLocation = "bad_database_location"
    /// The password file is missing, unreadable or readable by others.
    case passwordFile = "database_password_file"
    /// The database refused or failed a statement, or could not be reached.
    case database = "database_error"
    /// The database's schema is newer than this build knows: an older node must not write to it.
    case schemaTooNew = "database_schema_too_new"
    /// No answer within the operation's deadline (the database is down or unreachable).
    case unavailable = "database_unavailable"
}

extension CodedError where Code == PostgresStorageErrorCode {
    /// Whether `error` says the database could not be reached (a deadline passed, or the
    /// connection failed before the server answered), rather than that the server refused
    /// something: retrying a statement alone then cannot help.
    package static func isUnreachable(_ error: any Error) -> Bool {
        if let error = error as? PostgresStorageError { return error.code == .unavailable }
        if let error = error as? PSQLError { return error.serverInfo == nil && error.code != .queryCancelled }
        // The pool's own failure (its circuit breaker open), a type postgres-nio does not re-export.
        return String(describing: type(of: error)) == "ConnectionPoolError"
    }
}
