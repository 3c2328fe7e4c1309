import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The PostgreSQL backend: one database, through a pool of connections (postgres-nio's `PostgresClient`).
///
/// The pool works while ``run()`` runs, as a swift-service-lifecycle service would: start it in a
/// task (or use ``withRunning(_:environment:logger:_:)``) and cancel that task to close it.
package final class PostgresBackend: Sendable {
    /// Where the database is (its ``PostgresConnectionSettings/description`` may be logged).
    package let settings: PostgresConnectionSettings
    /// The pool.
    package let client: PostgresClient
    /// The logger queries report to.
    package let logger: Logger

    /// A pool for `settings`, with the password from `environment` (see ``PostgresPasswordSource``).
    package init(settings: PostgresConnectionSettings, environment: [String: String], logger: Logger,
                 maximumConnections: Int = 20) throws(PostgresStorageError) {
        let password = try PostgresPasswordSource.password(for: settings, environment: environment)
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: password,
            database: settings.database, tls: try Self.tls(for: settings))
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        if settings.tls == .verifyFull && !settings.isIPAddress {
            configuration.options.tlsServerName = settings.host
        }
        self.settings = settings
        self.logger = logger
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs the pool until the calling task is cancelled.
    package func run() async { await client.run() }

    /// Runs `body` with a database whose pool runs for the call's duration.
    package static func withRunning<T: Sendable>(
        _ settings: PostgresConnectionSettings, environment: [String: String], logger: Logger,
        _ body: @Sendable (PostgresBackend) async throws -> T
    ) async throws -> T {
        let database = try PostgresBackend(settings: settings, environment: environment, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
                group.addTask {
                    started.resume()
                    await database.run()
                    return nil
                }
            }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// Runs `body` in one transaction: it commits when `body` returns and rolls back when it throws.
    /// An error `body` throws reaches the caller as it was thrown (not wrapped in postgres-nio's
    /// transaction error), so typed errors such as a duplicate token survive the transaction.
    package func withTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw closureError }
            throw error
        }
    }

    /// Runs `body` on one connection of the pool, outside any transaction it does not open itself.
    package func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection) }
    }

    private static func tls(for settings: PostgresConnectionSettings) throws(PostgresStorageError) -> PostgresClient.Configuration.TLS {
        switch settings.tls {
        case .disable:
            return .disable
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let path = settings.rootCertificatePath {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw PostgresStorageError(.badLocation, "cannot read the database's root certificates at '\(path)' (sslrootcert)")
                }
                configuration.trustRoots = .file(path)
            }
            return .require(configuration)
        }
    }
}

extension PostgresBackend {
    /// Runs `body` in one read-only transaction at `REPEATABLE READ`: every statement in it sees the
    /// same snapshot, taken at its first statement. It ends with `COMMIT`, or `ROLLBACK` when
    /// `body` throws.
    package func withReadTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            let result: T
            do {
                result = try await body(connection)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            try await connection.query("COMMIT", logger: logger)
            return result
        }
    }
}
