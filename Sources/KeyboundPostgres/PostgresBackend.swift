import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The PostgreSQL backend: one database, through a pool of connections (postgres-nio's `PostgresClient`).
///
/// The pool works while ``run()`` runs, as a swift-service-lifecycle service would: start it in a
/// task (or use ``withRunning(_:environment:logger:_:)``) and cancel that task to close it.
///
/// After a long outage the pool is replaced: postgres-nio's pool retries a failed connection with
/// a back-off that grows to a minute, so a pool that saw the database down for a while could wait
/// that long after the database is back. Instead, while the database is unreachable, one
/// operation a second probes it with a connection of its own; once that probe connects after
/// ``renewAfter`` of outage, a fresh pool takes over and the old one is shut down.
package final class PostgresBackend: Sendable {
    /// Where the database is (its ``PostgresConnectionSettings/description`` may be logged).
    package let settings: PostgresConnectionSettings
    /// The pool now in use (a new one after a long outage).
    package var client: PostgresClient { pool.withLock { $0 } }
    private let pool: Mutex<PostgresClient>
    private let configuration: PostgresClient.Configuration
    private let probeConfiguration: PostgresConnection.Configuration
    /// New pools for ``run()`` to run, in order.
    private let renewals: AsyncStream<PostgresClient>
    private let renewalsInput: AsyncStream<PostgresClient>.Continuation
    /// How long the database must have been unreachable before a probe that reaches it replaces the pool.
    package static let renewAfter: Duration = .seconds(2)
    /// The logger queries report to.
    package let logger: Logger
    /// How long one store operation may take, waiting for a connection included, before it is
    /// abandoned with ``PostgresStorageError/Code/unavailable``: while the database is down,
    /// requests fail (503) instead of waiting for the pool's own circuit breaker (a minute).
    package let operationDeadline: Duration
    /// ``operationDeadline`` unless the caller or the URL's `operation_timeout` sets another.
    package static let defaultOperationDeadline: Duration = .seconds(5)
    /// A server's pool size unless the URL's `pool_size` sets another: mind the database's
    /// `max_connections` (100 by default) against the number of nodes.
    package static let defaultMaximumConnections = 20
    /// The most connections the pool may hold.
    package var maximumConnections: Int { configuration.options.maximumConnections }
    /// Fails operations fast while the database is unreachable (see ``withDeadline(_:_:)``).
    private let breaker = Mutex(Breaker())
    /// While the database is unreachable, one operation a second tries it; the others fail at once.
    package static let probeInterval: Duration = .seconds(1)
    /// How long a probe's own connection may take to connect and answer `SELECT 1`.
    package static let probeDeadline: Duration = .seconds(2)

    private struct Breaker {
        var unreachableSince: ContinuousClock.Instant?
        var probing = false
        /// When the probe running now started.
        var probeStarted: ContinuousClock.Instant?
        var lastProbe: ContinuousClock.Instant?
    }

    /// What the breaker says about one operation.
    private enum Admission {
        /// Run it: the database is not known to be unreachable.
        case run
        /// Run it as this second's probe of an unreachable database.
        case probe
        /// Fail it at once: the database has been unreachable since then.
        case refuse(ContinuousClock.Instant)
        /// Probe the database with a connection of its own first; if that reaches it, renew the
        /// pool and run the operation on the fresh one.
        case probeThenRenew(ContinuousClock.Instant)
    }

    /// A pool for `settings`, with the password from `environment` (see ``PostgresPasswordSource``).
    /// Each operation may take `operationDeadline`, else the URL's `operation_timeout`, else
    /// ``defaultOperationDeadline``; the pool holds at most `maximumConnections`, else the URL's
    /// `pool_size`, else ``defaultMaximumConnections``.
    package init(settings: PostgresConnectionSettings, environment: [String: String], logger: Logger,
                 maximumConnections: Int? = nil, operationDeadline: Duration? = nil) throws(PostgresStorageError) {
        let password = try PostgresPasswordSource.password(for: settings, environment: environment)
        let tls = try Self.tls(for: settings)
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: password,
            database: settings.database, tls: tls.map { .require($0) } ?? .disable)
        configuration.options.maximumConnections = maximumConnections ?? settings.poolSize ?? Self.defaultMaximumConnections
        configuration.options.connectTimeout = .seconds(5)
        var probe = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: password,
            database: settings.database, tls: .disable)
        if let tls {
            do {
                probe.tls = .require(try NIOSSLContext(configuration: tls))
            } catch {
                throw PostgresStorageError(.badLocation, "cannot set up TLS for the database \(settings): \(error)")
            }
        }
        probe.options.connectTimeout = .seconds(2)
        if settings.tls == .verifyFull && !settings.isIPAddress {
            configuration.options.tlsServerName = settings.host
            probe.options.tlsServerName = settings.host
        }
        self.settings = settings
        self.logger = logger
        self.operationDeadline = operationDeadline ?? settings.operationTimeout ?? Self.defaultOperationDeadline
        self.configuration = configuration
        probeConfiguration = probe
        pool = Mutex(PostgresClient(configuration: configuration, backgroundLogger: logger))
        (renewals, renewalsInput) = AsyncStream.makeStream(of: PostgresClient.self)
    }

    /// Runs the pool, and each pool that replaces it, until the calling task is cancelled. Call it once.
    package func run() async {
        let first = client
        var running = (pool: ObjectIdentifier(first), task: Task { await first.run() })
        await withTaskCancellationHandler {
            for await next in renewals where ObjectIdentifier(next) != running.pool {
                let previous = running.task
                running = (ObjectIdentifier(next), Task { await next.run() })
                previous.cancel()  // its leased connections close; its waiting operations fail
            }
        } onCancel: {
            renewalsInput.finish()
        }
        running.task.cancel()
        await running.task.value
    }

    /// Replaces the pool with a fresh one (see the type's documentation).
    private func renewPool() {
        let fresh = PostgresClient(configuration: configuration, backgroundLogger: logger)
        pool.withLock { $0 = fresh }
        renewalsInput.yield(fresh)
        logger.notice("the database \(settings) is reachable again: a fresh connection pool replaces the old one")
    }

    /// Whether a connection of its own, outside the pool, reaches the database and runs `SELECT 1`.
    /// Bounded as a whole (connecting, starting up, the query) by ``probeDeadline``: a server that
    /// accepts the connection but does not answer (one still starting, say) fails the probe in
    /// time, and the request that probed gets its 503 rather than waiting.
    private func probeConnects() async -> Bool {
        let configuration = probeConfiguration, logger = logger
        do {
            return try await abandoning(after: Self.probeDeadline, expired: { CancellationError() }) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.query("SELECT 1", logger: logger)
                return true
            }
        } catch {
            return false
        }
    }

    /// Throws, within `deadline`, unless a connection of its own reaches the database and runs
    /// `SELECT 1`: a tool or a node starting against a database that is down, or refuses its
    /// credentials, stops with the reason in one line instead of waiting for the pool to give up.
    package func checkReachable(deadline: Duration = .seconds(10)) async throws(PostgresStorageError) {
        let configuration = probeConfiguration, logger = logger
        do {
            _ = try await abandoning(after: deadline, expired: { PostgresStorageError(.unavailable, "no answer within \(deadline)") }) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.query("SELECT 1", logger: logger)
                return true
            }
        } catch {
            throw PostgresStorageError(.unavailable, "cannot reach the database at \(settings): \(Self.reason(error))")
        }
    }

    /// One line on why a connection failed: the server's message, else the connection error.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PostgresStorageError { return error.message }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    /// Runs `body` with a database whose pool runs for the call's duration.
    package static func withRunning<T: Sendable>(
        _ settings: PostgresConnectionSettings, environment: [String: String], logger: Logger,
        operationDeadline: Duration? = nil, _ body: @Sendable (PostgresBackend) async throws -> T
    ) async throws -> T {
        let database = try PostgresBackend(settings: settings, environment: environment, logger: logger,
                                           operationDeadline: operationDeadline)
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
    /// Abandoned (and so rolled back) after `deadline`, ``operationDeadline`` unless told.
    package func withTransaction<T: Sendable>(deadline: Duration? = nil,
                                              _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withDeadline(deadline ?? operationDeadline) { limit in
            try await runWithDeadline(limit) { [self] lease in try await transaction(lease, body) }
        }
    }

    /// ``withTransaction(deadline:_:)`` for a body that cannot be handed to another task (it is not
    /// `@Sendable`): at the deadline it is cancelled and waited for, not abandoned, so a statement
    /// that ignores cancellation holds its caller until it ends.
    package func withTransactionWaiting<T: Sendable>(deadline: Duration? = nil,
                                                     _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withDeadline(deadline ?? operationDeadline) { limit in
            try await runWaiting(limit) { lease in try await transaction(lease, body) }
        }
    }

    private func transaction<T: Sendable>(_ lease: LeaseSignal, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                lease.granted()
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw closureError }
            throw error
        }
    }

    /// Runs `body` on one connection of the pool, outside any transaction it does not open itself,
    /// abandoned after ``operationDeadline``.
    package func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withDeadline(operationDeadline) { limit in
            try await runWithDeadline(limit) { [self] lease in
                try await client.withConnection { connection in
                    lease.granted()
                    return try await body(connection)
                }
            }
        }
    }

    /// Runs `body` on one connection for as long as it takes (a change listener, a migration
    /// waiting for another node's): no deadline.
    package func withLongConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection) }
    }

    /// Runs `body`, cancelling it when it has not finished after `limit`: with
    /// ``PostgresStorageError/Code/unavailable`` when no connection was had by then (the database
    /// is down, or every connection is busy), with ``PostgresStorageError/Code/database`` when the
    /// statements were too slow. A cancelled transaction is rolled back by postgres-nio.
    ///
    /// Once an operation found the database unreachable (no connection within the deadline, or a
    /// connection lost before the server answered), the others fail at once (503 for a request,
    /// not a wait of `limit` each) while one operation a second (``probeInterval``, counted from
    /// the end of the last probe) tries the database; the first that reaches it closes the
    /// breaker. After ``renewAfter`` of outage a probe first connects on its own and, if that
    /// works, renews the pool. A slow statement opens nothing.
    private func withDeadline<T: Sendable>(_ limit: Duration, _ run: (Duration) async throws -> T) async throws -> T {
        let now = ContinuousClock.now
        let admission = breaker.withLock { state -> Admission in
            guard let since = state.unreachableSince else { return .run }
            // A probe that outlived its deadline (one whose work did not end when cancelled) no
            // longer holds the others back: the next operation probes again.
            let probeIsLive = state.probing && state.probeStarted.map { now - $0 < limit + Self.probeInterval } != false
            if probeIsLive || (!state.probing && state.lastProbe.map({ now - $0 < Self.probeInterval }) == true) { return .refuse(since) }
            state.probing = true
            state.probeStarted = now
            state.lastProbe = now
            return now - since >= Self.renewAfter ? .probeThenRenew(since) : .probe
        }
        let probing: Bool
        switch admission {
        case .run:
            probing = false
        case .probe:
            probing = true
        case .refuse(let since):
            throw PostgresStorageError(.unavailable, "the database \(settings) has been unreachable for \(ContinuousClock.now - since)")
        case .probeThenRenew(let since):
            guard await probeConnects() else {
                breaker.withLock { state in
                    state.probing = false
                    state.lastProbe = ContinuousClock.now
                }
                throw PostgresStorageError(.unavailable, "the database \(settings) has been unreachable for \(ContinuousClock.now - since)")
            }
            renewPool()
            probing = true
        }
        do {
            let value = try await run(limit)
            breaker.withLock { $0 = Breaker() }
            return value
        } catch {
            let unreachable = PostgresStorageError.isUnreachable(error)
            breaker.withLock { state in
                if probing {
                    state.probing = false
                    state.lastProbe = ContinuousClock.now  // the next probe a second after this one ended
                }
                if unreachable {
                    if state.unreachableSince == nil { state.unreachableSince = ContinuousClock.now }
                } else if !(error is CancellationError) {
                    state = Breaker()  // the server answered
                }
            }
            throw error
        }
    }

    /// Runs `body`, and answers at `limit` whether or not it has ended: work that does not end when
    /// cancelled (a statement on a connection the server dropped, say) is abandoned, never waited
    /// out, so a caller waits at most `limit` for its 503.
    private func runWithDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable (LeaseSignal) async throws -> T) async throws -> T {
        let lease = LeaseSignal()
        let settings = settings, isOperationDeadline = limit == operationDeadline
        return try await abandoning(after: limit, expired: {
            Self.expired(after: limit, leaseGranted: lease.wasGranted, settings: settings, isOperationDeadline: isOperationDeadline)
        }) {
            try await body(lease)
        }
    }

    /// The error of an operation abandoned at `limit`: no connection yet (unavailable), or a
    /// connection whose statements overran. When the limit is ``operationDeadline`` (not a
    /// caller's own), it names the URL parameter that sets it.
    private static func expired(after limit: Duration, leaseGranted: Bool, settings: PostgresConnectionSettings,
                                isOperationDeadline: Bool) -> PostgresStorageError {
        let hint = isOperationDeadline ? " (the URL's operation_timeout=SECONDS sets this limit)" : ""
        guard leaseGranted else {
            return PostgresStorageError(.unavailable, "no connection to the database \(settings) within \(limit)\(hint)")
        }
        return PostgresStorageError(.database, "the database \(settings) did not finish within \(limit)\(hint)")
    }

    /// Runs `body` under a structured deadline: at `limit` it is cancelled, and the caller waits for
    /// it to end (for bodies that cannot be handed to another task: the key store's sessions).
    private func runWaiting<T: Sendable>(_ limit: Duration, _ body: (LeaseSignal) async throws -> T) async throws -> T {
        let lease = LeaseSignal()
        return try await withoutActuallyEscaping(body) { escapable in
            let work = UncheckedWork(run: escapable)
            return try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
                group.addTask { .finished(try await work.run(lease)) }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return .expired
                }
                defer { group.cancelAll() }
                switch try await group.next() {
                case .finished(let value)?:
                    return value
                case .expired?, nil:
                    throw Self.expired(after: limit, leaseGranted: lease.wasGranted, settings: settings,
                                       isOperationDeadline: limit == operationDeadline)
                }
            }
        }
    }

    /// The TLS configuration `settings` ask for, or `nil` for none (loopback only).
    private static func tls(for settings: PostgresConnectionSettings) throws(PostgresStorageError) -> TLSConfiguration? {
        switch settings.tls {
        case .disable:
            return nil
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let path = settings.rootCertificatePath {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw PostgresStorageError(.badLocation, "cannot read the database's root certificates at '\(path)' (sslrootcert)")
                }
                configuration.trustRoots = .file(path)
            }
            return configuration
        }
    }
}

extension PostgresBackend {
    /// Runs `body` in one read-only transaction at `REPEATABLE READ`: every statement in it sees the
    /// same snapshot, taken at its first statement. It ends with `COMMIT`, or `ROLLBACK` when
    /// `body` throws.
    package func withReadTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { [self] connection in try await readTransaction(connection, body) }
    }

    private func readTransaction<T: Sendable>(_ connection: PostgresConnection, _ body: (PostgresConnection) async throws -> T) async throws -> T {
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

/// What came first: the work or its deadline.
/// The caller's work, run in a child task of the deadline's task group while the caller waits for
/// that group: it never runs concurrently with the caller, so passing it across is safe.
/// Set once the operation has its connection.
private enum DeadlineOutcome<T: Sendable>: Sendable {
    case finished(T)
    case expired
}

/// The caller's work, run in a child task of the deadline's task group while the caller waits for
/// that group: it never runs concurrently with the caller, so passing it across is safe.
private struct UncheckedWork<T>: @unchecked Sendable {
    let run: (LeaseSignal) async throws -> T
}

/// Set once the operation has its connection.
private final class LeaseSignal: Sendable {
    private let flag = Mutex(false)
    func granted() { flag.withLock { $0 = true } }
    var wasGranted: Bool { flag.withLock { $0 } }
}
