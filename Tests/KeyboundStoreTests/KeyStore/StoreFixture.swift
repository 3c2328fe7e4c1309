import Foundation
import Keybound
import KeyboundStore
import KeyboundPostgres
import GRDB
import PostgresNIO
import Testing
import KeyboundTesting

/// An injected clock: a `Date` the test chooses and moves by hand. Nothing in these suites reads `Date()`.
struct StoreClock {
    /// 2027-01-15T08:00:00Z, a whole hour, so the schedules below land on exact steps.
    static let origin = Date(timeIntervalSince1970: 1_800_000_000)
    static let minute: TimeInterval = 60
    static let hour: TimeInterval = 3_600
    static let day: TimeInterval = 86_400

    private(set) var now: Date

    init(_ start: Date = StoreClock.origin) { now = start }

    /// `origin` + `seconds`.
    static func at(_ seconds: TimeInterval) -> Date { origin.addingTimeInterval(seconds) }

    mutating func advance(_ seconds: TimeInterval) { now = now.addingTimeInterval(seconds) }
    mutating func set(_ date: Date) { now = date }
}

/// Issuer records with short, exact lifecycles so a walk through several rotations stays fast.
enum StoreIssuers {
    /// Rotation every 2 days, published 6 h ahead, tokens live at most 1 h, keys at most 6 days.
    static let rotationPeriod: TimeInterval = 2 * StoreClock.day
    static let publishLeadTime: TimeInterval = 6 * StoreClock.hour
    static let maximumTokenLifetime: TimeInterval = StoreClock.hour
    static let maximumKeyAge: TimeInterval = 6 * StoreClock.day

    static func url(_ id: String) -> String { "https://login.keybound.test/\(id)/v2.0" }

    static func consumer(_ id: String = "consumers", algorithm: JWSAlgorithm = .es256, at createdAt: Date = StoreClock.origin) -> IssuerRecord {
        IssuerRecord(id: id, url: url(id), kind: .consumer, algorithm: algorithm, rotationPeriod: rotationPeriod,
                     publishLeadTime: publishLeadTime, maximumTokenLifetime: maximumTokenLifetime,
                     maximumKeyAge: maximumKeyAge, createdAt: createdAt)
    }

    static func tenant(_ id: String = "contoso", tenantID: String = "7f3c2a9e-contoso", algorithm: JWSAlgorithm = .es256,
                       at createdAt: Date = StoreClock.origin) -> IssuerRecord {
        IssuerRecord(id: id, url: url(id), kind: .tenant, tenantID: tenantID, algorithm: algorithm, rotationPeriod: rotationPeriod,
                     publishLeadTime: publishLeadTime, maximumTokenLifetime: maximumTokenLifetime,
                     maximumKeyAge: maximumKeyAge, createdAt: createdAt)
    }
}

/// Where a store test's key store lives. Every lifecycle test runs on both: one suite, two backends.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// SQLite files in a temporary directory.
    case sqlite
    /// A fresh database on the tests' own PostgreSQL 15.
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh key store and KEK on one backend. Each `open()` is a new store instance with its own
/// connections (as another process or node would have): on SQLite a new connection to the file, on
/// PostgreSQL a new store over the fixture's pool (its transactions take their own pool connections).
struct StoreFixture {
    let backend: StoreBackend
    /// The data directory (SQLite files; on PostgreSQL it holds nothing of the store).
    let directory: URL
    let kek: KeyEncryptionKey
    /// The PostgreSQL database and its running pool (``StoreBackend/postgres`` only).
    private let postgres: (database: PostgresBackend, pool: Task<Void, Never>)?

    init(_ backend: StoreBackend = .sqlite, kek: KeyEncryptionKey = .generate()) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.backend = backend
        self.kek = kek
        switch backend {
        case .sqlite:
            postgres = nil
        case .postgres:
            await Self.postgresPermits.acquire()
            do {
                postgres = try await Self.startPostgres()
            } catch {
                Self.postgresPermits.release()
                throw error
            }
        }
    }

    /// A fresh, migrated database and its running pool.
    private static func startPostgres() async throws -> (database: PostgresBackend, pool: Task<Void, Never>) {
        let created = try await TestPostgres.shared.makeDatabase("keys")
        let database = try PostgresBackend(settings: created.settings, environment: created.environment, logger: TestPostgres.logger,
                                           operationDeadline: TestPostgres.operationDeadline)
        let pool = Task { await database.run() }
        do {
            try await KeyboundPostgresSchema.migrate(database)
        } catch {
            pool.cancel()
            throw error
        }
        return (database, pool)
    }

    /// A fixture with `issuers` already created (each at its own `createdAt`).
    init(_ backend: StoreBackend = .sqlite, issuers: [IssuerRecord], kek: KeyEncryptionKey = .generate()) async throws {
        try await self.init(backend, kek: kek)
        do {
            let manager = try await open()
            for issuer in issuers { try await manager.createIssuer(issuer) }
        } catch {
            remove()
            throw error
        }
    }

    /// The PostgreSQL database with its running pool; `nil` on SQLite.
    var postgresDatabase: PostgresBackend? { postgres?.database }

    /// A new store instance over the fixture's database.
    func openStore() throws -> any KeyStore {
        if let postgres { return PostgresKeyStore(database: postgres.database) }
        return try SQLiteKeyStore(directory: directory)
    }

    /// A new provider store instance over the fixture's database (another node's, on PostgreSQL:
    /// its own ledger writer, its own observers).
    func openProviderStore() throws -> any ProviderStore {
        if let postgres { return PostgresProviderStore(database: postgres.database) }
        return try SQLiteProviderStore(directory: directory)
    }

    /// A new store instance and manager.
    func open(kek: KeyEncryptionKey? = nil) async throws -> KeyManager {
        try await KeyManager(store: try openStore(), kek: kek ?? self.kek)
    }

    var databaseFile: URL { directory.appendingPathComponent(SQLiteKeyStore.fileName) }

    /// Runs one SQL statement straight on the database, past every Keybound check (as a person with
    /// a database shell would): for tests of what the schema itself refuses.
    /// On SQLite, `file` names the database file (the key store's unless told).
    func executeRaw(_ sql: String, file: String = SQLiteKeyStore.fileName) async throws {
        if let postgres {
            _ = try await postgres.database.withConnection { connection in
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
            }
        } else {
            let queue = try DatabaseQueue(path: directory.appendingPathComponent(file).path)
            try await queue.write { db in try db.execute(sql: sql) }
        }
    }

    /// At most four PostgreSQL fixtures at a time (see ``TestPermits``). A test's time limit runs
    /// while it waits here: with two, the queue behind them outlasted the suites' 10 minutes in a
    /// full run on two busy cores. Four pools of 20 stay well inside the test server's 300 connections.
    static let postgresPermits = TestPermits(4)

    /// Removes the directory and stops the PostgreSQL pool (the test server drops with the run).
    func remove() {
        if let postgres {
            postgres.pool.cancel()
            Self.postgresPermits.release()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// What a verifier said about a token.
enum StoreVerdict: Equatable, CustomStringConvertible {
    case verified
    case rejected(RejectionCode)

    var description: String {
        switch self {
        case .verified: "verified"
        case .rejected(let code): code.rawValue
        }
    }
}

/// Signs access tokens and verifies them against the store's trust projection.
enum StoreTokens {
    static let audience = "https://api.keybound.test"

    /// RFC 9068 claims for `issuer`, issued at `iat`, living `lifetime` seconds.
    static func claims(_ issuer: IssuerRecord, iat: Date, lifetime: TimeInterval = 600, iss: String? = nil) -> JSONObject {
        var claims = JSONObject()
        claims["iss"] = .string(iss ?? issuer.url)
        claims["sub"] = .string("alice")
        claims["aud"] = .string(audience)
        claims["iat"] = .number(iat.timeIntervalSince1970.rounded())
        claims["exp"] = .number((iat.timeIntervalSince1970 + lifetime).rounded())
        claims["jti"] = .string(UUID().uuidString)
        claims["client_id"] = .string("store-tests")
        // An unsaved consumer record has no tid yet: a fresh store gives its first consumer realm the well-known one.
        let tenantID = issuer.tenantID ?? (issuer.kind == .consumer ? IssuerRecord.wellKnownConsumerTenantID : nil)
        if let tenantID { claims["tid"] = .string(tenantID) }
        return claims
    }

    static func sign(_ key: SigningKey, _ issuer: IssuerRecord, iat: Date, lifetime: TimeInterval = 600) throws -> String {
        try TokenSigner(key: key).sign(claims: claims(issuer, iat: iat, lifetime: lifetime))
    }

    /// A verifier over the store's current trust projection, with its clock fixed at `now`.
    static func verifier(_ manager: KeyManager, now: Date) async throws -> TokenVerifier {
        TokenVerifier(trust: try await manager.trustStore(), policy: try VerificationPolicy(audience: audience), clock: .fixed(now))
    }

    static func verdict(_ verifier: TokenVerifier, _ token: String) -> StoreVerdict {
        let result = verifier.verify(token)
        if let rejection = result.rejection { return .rejected(rejection.code) }
        return result.token == nil ? .rejected(RejectionCode(rawValue: "no_result")) : .verified
    }

    static func verdict(_ manager: KeyManager, _ token: String, now: Date) async throws -> StoreVerdict {
        verdict(try await verifier(manager, now: now), token)
    }
}

extension KeyManager {
    /// The issuer's keys of `purpose` (access tokens unless told) in `state`.
    func keys(_ issuerID: String, in state: KeyState, purpose: KeyPurpose = .accessToken) async throws -> [KeyRecord] {
        try await keys(issuerID: issuerID).filter { $0.state == state && $0.purpose == purpose }
    }

    /// The issuer's single active key of `purpose` (access tokens unless told; fails the test if
    /// there is not exactly one).
    func activeKey(_ issuerID: String, purpose: KeyPurpose = .accessToken) async throws -> KeyRecord {
        let active = try await keys(issuerID, in: .active, purpose: purpose)
        try #require(active.count == 1, "issuer '\(issuerID)' has \(active.count) active \(purpose.keyName)s")
        return active[0]
    }

    /// Unseals any key of the store (pending, verify-only, revoked...) with this manager's KEK.
    func unsealed(_ record: KeyRecord) async throws -> SigningKey {
        try await sealer.open(record.sealedPrivateKey, issuerID: record.issuerID, keyID: record.keyID)
    }

    /// The kids in an issuer's published JWKS.
    func publishedKeyIDs(_ issuerID: String) async throws -> Set<String> {
        let keys = try await publishedKeySet(issuerID: issuerID)["keys"]?.arrayValue ?? []
        return Set(keys.compactMap { $0.objectValue?["kid"]?.stringValue })
    }
}

/// Everything the store holds (issuers, keys with their sealed bytes, events, KEK fingerprint), read
/// through a fresh connection: equal snapshots mean the data is untouched.
struct StoreSnapshot: Equatable {
    let issuers: [IssuerRecord]
    let keys: [KeyRecord]
    let events: [KeyEvent]
    let kekFingerprint: String?

    init(_ directory: URL) async throws {
        try await self.init(store: try SQLiteKeyStore(directory: directory))
    }

    init(_ fixture: StoreFixture) async throws {
        try await self.init(store: try fixture.openStore())
    }

    init(store: any KeyStore) async throws {
        (issuers, keys, events, kekFingerprint) = try await store.read { session in
            await (try session.issuers(), try session.keys(issuerID: nil), try session.events(after: 0, limit: 1_000_000),
             try session.metadata("kek_fingerprint"))
        }
    }
}

/// A store with keys in several states (two issuers, one of them RSA; a rotation and a revocation), every connection closed.
enum StorePopulated {
    static func make(_ backend: StoreBackend = .sqlite) async throws -> StoreFixture {
        let issuers = [StoreIssuers.consumer(), StoreIssuers.tenant(algorithm: .rs256)]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        let manager = try await fixture.open()
        let rotation = StoreClock.origin.addingTimeInterval(StoreIssuers.rotationPeriod)
        try await manager.tick(now: rotation.addingTimeInterval(-StoreIssuers.publishLeadTime))
        try await manager.tick(now: rotation)
        try await manager.revoke(issuerID: "consumers", keyID: try manager.activeKey("consumers").keyID, reason: "drill", actor: "ops", now: rotation.addingTimeInterval(60))
        return fixture
    }
}
