import Logging
import PostgresNIO

extension PostgresBackend {
    /// Refuses a database without `table`, which the key store's migrator creates at schema
    /// `version` (a module's store opened before the key store migrated the database). `failure`
    /// makes the module's own error of a message that names the database, never its password.
    package func requireTable<Failure: Error>(_ table: String, of store: String, version: Int,
                                              _ failure: (String) -> Failure) async throws(Failure) {
        let present: Bool
        do {
            let logger = self.logger
            present = try await withConnection { connection in try await connection.tableExists(table, logger: logger) }
        } catch {
            throw failure("the database at \(settings) cannot be reached: \(Self.reason(error))")
        }
        guard present else {
            throw failure("the database at \(settings) has no \(store) tables: open it through the key store first, which migrates it (schema version \(version))")
        }
    }

    /// Runs `body`; a database error becomes `failure` of one line that names `store` (the
    /// server's own message when it refused a statement), never a password. A `Failure` thrown by
    /// `body` passes through.
    package static func storeCall<T, Failure: Error>(_ store: String, _ failure: (String) -> Failure,
                                                     _ body: () async throws -> T) async throws(Failure) -> T {
        do {
            return try await body()
        } catch let error as Failure {
            throw error
        } catch let error as PSQLError {
            if let message = error.serverInfo?[.message] { throw failure("the \(store)'s database refused: \(message)") }
            throw failure("the \(store)'s database cannot be reached")
        } catch {
            throw failure("the \(store)'s database cannot be reached")
        }
    }
}
