import Foundation
import Hummingbird
import KeyboundAudit
package import KeyboundPostgres
import KeyboundValidation
import Logging

/// A protected resource the kit can open and mount: Keybound Mail, Keybound Files, or yours.
///
/// The composition root lists the resources it runs (one line each); ``ResourceHost`` serves them
/// side by side on one listener, each behind its own ``ResourceGuard`` and audience, all recording
/// in one audit log.
public protocol ProtectedResource: Sendable {
    /// What the resource is (its audience, realm and how to classify attempts).
    static var resource: ResourceDescription { get }
    /// Opens the resource's store in `environment` and builds it on the environment's audit log and trust.
    static func open(_ environment: ResourceEnvironment) async throws -> Self
    /// Adds the resource's routes (behind its guard) to `router`.
    func register(on router: Router<ResourceRequestContext>)
}

/// Where a resource keeps its rows: a data directory (SQLite, the embedded default) or the
/// PostgreSQL database every node shares.
public struct ResourceStorage: Sendable {
    /// The data directory, when on SQLite.
    public let directory: URL?
    /// The database, when on PostgreSQL.
    package let database: PostgresBackend?

    /// Files in `directory`.
    public static func directory(_ directory: URL) -> ResourceStorage { ResourceStorage(directory: directory, database: nil) }

    /// Tables in `database`.
    package static func postgres(_ database: PostgresBackend) -> ResourceStorage { ResourceStorage(directory: nil, database: database) }

    /// A resource's store opened here: `sqlite` with the data directory, or `postgres` with the database.
    package func open<Store>(_ name: String, sqlite: (URL) throws -> Store,
                             postgres: (PostgresBackend) async throws -> Store) async throws -> Store {
        if let database { return try await postgres(database) }
        guard let directory else { throw ResourceStorageError(description: "\(name) needs a data directory or a PostgreSQL database") }
        return try sqlite(directory)
    }
}

/// A ``ResourceStorage`` with neither a directory nor a database.
struct ResourceStorageError: Error, CustomStringConvertible {
    let description: String
}

/// What every resource opened together shares: storage, the audit log, trust, alerts and clocks.
public struct ResourceEnvironment: Sendable {
    /// Where resources keep their rows.
    public let storage: ResourceStorage
    /// The issuers whose tokens the resources accept (each still only under its own keys).
    public let issuers: Set<String>
    /// The one audit log every resource records in.
    public let audit: AuditLog
    /// Builds the trust of the resource described (one per resource: its own audience and cache).
    public let trust: @Sendable (ResourceDescription) throws -> ResourceTrust
    /// Where alerts of refused tokens are raised.
    public let alerts: AlertCenter?
    /// Bounds on records of refused, unverified requests, for all the environment's resources
    /// together (they share one listener). Set it before making guards.
    public var refusedAuditLimits = RefusedAuditLimits() {
        didSet { refusedAuditGate = UnverifiedAuditGate(limits: refusedAuditLimits, now: now()) }
    }
    /// The one gate the guards of this environment share.
    private var refusedAuditGate: UnverifiedAuditGate
    /// The resources' logger.
    public let logger: Logger
    /// The clock of audit records and stored times.
    public let now: @Sendable () -> Date

    /// An environment.
    public init(storage: ResourceStorage, issuers: Set<String>, audit: AuditLog, alerts: AlertCenter? = nil, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() },
                trust: @escaping @Sendable (ResourceDescription) throws -> ResourceTrust) {
        self.storage = storage
        self.issuers = issuers
        self.audit = audit
        self.trust = trust
        self.alerts = alerts
        self.logger = logger
        self.now = now
        refusedAuditGate = UnverifiedAuditGate(now: now())
    }

    /// The guard of the resource described, on this environment's audit log and trust, sharing
    /// the environment's bounds on records of refused requests.
    public func guardFor(_ description: ResourceDescription) throws -> ResourceGuard {
        ResourceGuard(description: description, audit: audit, trust: try trust(description), alerts: alerts,
                      gate: refusedAuditGate, logger: logger, now: now)
    }
}
