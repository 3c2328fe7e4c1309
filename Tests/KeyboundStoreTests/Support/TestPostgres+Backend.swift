import KeyboundPostgres
import KeyboundTesting
import Logging
import PostgresNIO

// The client side of the tests' PostgreSQL (KeyboundTesting starts the server and makes the
// databases; it has no PostgreSQL client). One file, linked into each test target that uses it.

extension TestPostgres {
    /// The logger of the tests' pools.
    static let logger = Logger(label: "keybound.tests.postgres")
}

extension TestPostgres.Database {
    /// The database's connection settings (the password stays in the file `environment` names).
    var settings: PostgresConnectionSettings {
        // The harness's host, port and names are fixed and valid: the settings cannot be refused.
        try! PostgresConnectionSettings(host: host, port: port, username: username, database: name)
    }

    /// The URL the tests' `keybound` processes get: ``settings`` with `operation_timeout` at the
    /// tests' own deadline (a node's default of 5 s is too short for a debug build on two busy
    /// cores; a `serve --with-mail` node once failed to start on it). The outage suite, which
    /// tests the node's own deadline, takes ``settings`` as it is.
    var nodeURL: String {
        // As ``settings``: fixed, valid parts, and a deadline within the accepted range.
        try! PostgresConnectionSettings(host: host, port: port, username: username, database: name,
                                        operationTimeout: TestPostgres.operationDeadline).description
    }

    /// Runs `body` with the database's pool running.
    func withRunning<T: Sendable>(_ body: @Sendable (PostgresBackend) async throws -> T) async throws -> T {
        try await PostgresBackend.withRunning(settings, environment: environment, logger: TestPostgres.logger,
                                              operationDeadline: TestPostgres.operationDeadline, body)
    }
}
