import Foundation
internal import GRDB
internal import KeyboundSQLite
import Synchronization
import Keybound

/// The embedded default store: one SQLite file (WAL mode) through GRDB, with versioned migrations.
///
/// Writes run in `BEGIN IMMEDIATE` transactions, so several processes (a server, a cron `keys tick`,
/// an operator's `keys revoke`) serialize on the database and never interleave half-done changes.
public final class SQLiteKeyStore: KeyStore, @unchecked Sendable {
    private let queue: DatabaseQueue
    /// One session at a time on the connection (see ``session(begin:_:)``).
    private let sessions = AsyncSerialLock()
    private let recorder = KeyStoreCommits()
    /// The database file.
    public let path: String
    /// Told after every committed write transaction of this instance.
    public var commits: StoreObservers<Void> { recorder.observers }

    /// The database file name inside a data directory.
    public static let fileName = "keybound.sqlite"

    /// Opens (creating if needed) the store in `directory`, and migrates it.
    public init(directory: URL) throws(StoreError) {
        try SQLiteSupport.createDataDirectory(directory)
        path = directory.appendingPathComponent(Self.fileName).path
        var configuration = Configuration()
        // WAL is set with a plain pragma (a no-op once the file is in WAL mode), so opening an
        // existing store writes nothing to it: a refused open leaves every byte as it was.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        configuration.busyMode = .timeout(SQLiteDatabase.busyTimeout)
        configuration.foreignKeysEnabled = true
        // Sessions open and end their transactions themselves, across several GRDB accesses.
        configuration.allowsUnsafeTransactions = true
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch {
            throw StoreError(.storage, "cannot open the store at '\(path)': \(error)")
        }
    }

    /// Runs `body` in one read transaction (`BEGIN DEFERRED`).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
        try await session(begin: "BEGIN DEFERRED TRANSACTION", body)
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (the counter and observers as `KeyStoreCommits`).
    ///
    /// Writers of this process to the same file take turns first, in arrival order
    /// (``writerTurns(for:)``): SQLite's busy handler is no queue, and a writer that sleeps in it
    /// while others of the process write back to back can wait past the busy timeout. (Writers in
    /// other processes still meet on SQLite's lock.)
    public func write<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
        try await Self.writerTurns(for: path).withLock {
            try await recorder.recording { try await session(begin: "BEGIN IMMEDIATE TRANSACTION", body) }
        }
    }

    /// The writers' turns of one database file, shared by every instance of this process that opens it.
    private static func writerTurns(for path: String) -> AsyncSerialLock {
        let file = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return writerTurnsByFile.withLock { turns in
            if let existing = turns[file] { return existing }
            let created = AsyncSerialLock()
            turns[file] = created
            return created
        }
    }

    private static let writerTurnsByFile = Mutex<[String: AsyncSerialLock]>([:])

    /// One transaction made of steps on the store's one connection, with awaits between them (the
    /// lifecycle's code in between is async). GRDB runs a transaction inside one synchronous
    /// closure; here the store opens and ends the transaction itself, and the session lock keeps
    /// every other session of this instance off the connection until it has. (Other processes serialise on SQLite's
    /// own lock, which `BEGIN IMMEDIATE` takes for a writer.)
    private func session<T: Sendable>(begin: String, _ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
        try await sessions.withLock {
            let session = SQLiteKeySession(queue: queue)
            try await session.begin(begin)
            let result: T
            do {
                result = try await body(session)
                try session.commit()
            } catch {
                try? session.rollBackIfOpen()
                throw error
            }
            return result
        }
    }

    /// Write transactions attempted through this instance (committed or not; a spurious change
    /// signal only costs a cache reload).
    public var localWriteCount: Int { recorder.count }

    /// Runs SQLite's integrity check; `true` when the database is sound.
    public func integrityCheck() async throws -> Bool {
        try await sessions.withLock {
            try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok" }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: issuers, keys, key events") { db in
            try db.execute(sql: """
                CREATE TABLE issuer (
                    id TEXT PRIMARY KEY NOT NULL,
                    url TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('consumer', 'tenant')),
                    tenant_id TEXT,
                    algorithm TEXT NOT NULL,
                    rotation_period REAL NOT NULL,
                    publish_lead_time REAL NOT NULL,
                    maximum_token_lifetime REAL NOT NULL,
                    maximum_key_age REAL NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE signing_key (
                    issuer_id TEXT NOT NULL REFERENCES issuer(id),
                    kid TEXT NOT NULL,
                    algorithm TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'verify-only', 'retired', 'revoked')),
                    public_jwk TEXT NOT NULL,
                    sealed_private_key BLOB NOT NULL,
                    kek_fingerprint TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    scheduled_activation REAL,
                    activated_at REAL,
                    deactivated_at REAL,
                    verify_until REAL,
                    retired_at REAL,
                    revoked_at REAL,
                    revocation_reason TEXT,
                    revoked_by TEXT,
                    emergency_reason TEXT,
                    is_initial INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (issuer_id, kid)
                );
                -- A kid names one key of one issuer, forever.
                CREATE UNIQUE INDEX signing_key_kid ON signing_key(kid);
                -- At most one active key per issuer, enforced by the database as well.
                CREATE UNIQUE INDEX one_active_key ON signing_key(issuer_id) WHERE state = 'active';
                CREATE TABLE key_event (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    issuer_id TEXT NOT NULL,
                    kid TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE TABLE metadata (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                -- Keys are never deleted.
                CREATE TRIGGER signing_key_no_delete BEFORE DELETE ON signing_key
                BEGIN SELECT RAISE(ABORT, 'keys are never deleted'); END;
                CREATE TRIGGER key_event_append_only BEFORE DELETE ON key_event
                BEGIN SELECT RAISE(ABORT, 'key events are append-only'); END;
                """)
        }
        migrator.registerMigration("v2: every issuer has its own tenant id") { db in
            // Consumer realms had no tid (their tokens carried a shared constant). Each gets its own:
            // the oldest keeps the well-known consumer tid its tokens already carry, the others a new one.
            let consumers = try String.fetchAll(db, sql: "SELECT id FROM issuer WHERE tenant_id IS NULL ORDER BY created_at, id")
            var taken = Set(try String.fetchAll(db, sql: "SELECT tenant_id FROM issuer WHERE tenant_id IS NOT NULL").map(ExactString.init))
            for id in consumers {
                let tenantID = IssuerRecord.generatedConsumerTenantID(taken: taken)
                taken.insert(ExactString(tenantID))
                try db.execute(sql: "UPDATE issuer SET tenant_id = ? WHERE id = ?", arguments: [tenantID, id])
            }
            try db.execute(sql: """
                -- A tid names one issuer's tenant in the store, exactly (BINARY collation).
                CREATE UNIQUE INDEX issuer_tenant_id ON issuer(tenant_id);
                CREATE TRIGGER issuer_needs_tenant_id BEFORE INSERT ON issuer WHEN NEW.tenant_id IS NULL
                BEGIN SELECT RAISE(ABORT, 'every issuer has a tenant id'); END;
                CREATE TRIGGER issuer_tenant_id_fixed BEFORE UPDATE OF tenant_id ON issuer
                BEGIN SELECT RAISE(ABORT, 'a tenant id never changes'); END;
                """)
        }
        migrator.registerMigration("v3: key purposes, one active key per (issuer, purpose)") { db in
            // Every existing key signs access tokens. Each issuer's RS256 ID-token key is created by
            // the next rotation tick (`keybound serve` ticks at start, `keybound keys tick` too): it
            // needs the key-encryption key, which the store never sees.
            try db.execute(sql: """
                ALTER TABLE signing_key ADD COLUMN purpose TEXT NOT NULL DEFAULT 'access-token'
                    CHECK (purpose IN ('access-token', 'id-token'));
                DROP INDEX one_active_key;
                -- At most one active key per (issuer, purpose), enforced by the database as well.
                CREATE UNIQUE INDEX one_active_key ON signing_key(issuer_id, purpose) WHERE state = 'active';
                CREATE TRIGGER signing_key_purpose_fixed BEFORE UPDATE OF purpose ON signing_key
                BEGIN SELECT RAISE(ABORT, 'a key''s purpose never changes'); END;
                """)
        }
        migrator.registerMigration("v4: key events are never updated, issuers never deleted") { db in
            try db.execute(sql: """
                CREATE TRIGGER key_event_no_update BEFORE UPDATE ON key_event
                BEGIN SELECT RAISE(ABORT, 'key events are append-only'); END;
                CREATE TRIGGER issuer_no_delete BEFORE DELETE ON issuer
                BEGIN SELECT RAISE(ABORT, 'issuers are never deleted'); END;
                """)
        }
        migrator.registerMigration("v5: key custody") { db in
            // Every existing issuer and key is in software custody (sealed under the KEK).
            try db.execute(sql: """
                ALTER TABLE issuer ADD COLUMN custody TEXT NOT NULL DEFAULT 'software' CHECK (custody IN ('software', 'pkcs11'));
                ALTER TABLE signing_key ADD COLUMN custody TEXT NOT NULL DEFAULT 'software' CHECK (custody IN ('software', 'pkcs11'));
                ALTER TABLE signing_key ADD COLUMN private_destroyed_at REAL;
                CREATE TRIGGER signing_key_custody_fixed BEFORE UPDATE OF custody ON signing_key
                BEGIN SELECT RAISE(ABORT, 'a key''s custody never changes'); END;
                CREATE TRIGGER issuer_custody_fixed BEFORE UPDATE OF custody ON issuer
                BEGIN SELECT RAISE(ABORT, 'an issuer''s custody never changes'); END;
                """)
        }
        migrator.registerMigration("v6: the operator issuer kind, one per store") { db in
            // SQLite cannot change a CHECK constraint in place: the issuer table is rebuilt (SQLite's
            // documented procedure, with foreign keys off for the migration, as GRDB runs it, and
            // checked afterwards), with its indexes and triggers as v2 and v5 made them.
            try db.execute(sql: """
                CREATE TABLE issuer_v6 (
                    id TEXT PRIMARY KEY NOT NULL,
                    url TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('consumer', 'tenant', 'operator')),
                    tenant_id TEXT,
                    algorithm TEXT NOT NULL,
                    rotation_period REAL NOT NULL,
                    publish_lead_time REAL NOT NULL,
                    maximum_token_lifetime REAL NOT NULL,
                    maximum_key_age REAL NOT NULL,
                    created_at REAL NOT NULL,
                    custody TEXT NOT NULL DEFAULT 'software' CHECK (custody IN ('software', 'pkcs11'))
                );
                INSERT INTO issuer_v6 (id, url, kind, tenant_id, algorithm, rotation_period, publish_lead_time,
                                       maximum_token_lifetime, maximum_key_age, created_at, custody)
                    SELECT id, url, kind, tenant_id, algorithm, rotation_period, publish_lead_time,
                           maximum_token_lifetime, maximum_key_age, created_at, custody FROM issuer;
                DROP TABLE issuer;
                ALTER TABLE issuer_v6 RENAME TO issuer;
                CREATE UNIQUE INDEX issuer_tenant_id ON issuer(tenant_id);
                -- At most one operator issuer per store, enforced by the database as well.
                CREATE UNIQUE INDEX one_operator_issuer ON issuer(kind) WHERE kind = 'operator';
                CREATE TRIGGER issuer_needs_tenant_id BEFORE INSERT ON issuer WHEN NEW.tenant_id IS NULL
                BEGIN SELECT RAISE(ABORT, 'every issuer has a tenant id'); END;
                CREATE TRIGGER issuer_tenant_id_fixed BEFORE UPDATE OF tenant_id ON issuer
                BEGIN SELECT RAISE(ABORT, 'a tenant id never changes'); END;
                CREATE TRIGGER issuer_no_delete BEFORE DELETE ON issuer
                BEGIN SELECT RAISE(ABORT, 'issuers are never deleted'); END;
                CREATE TRIGGER issuer_custody_fixed BEFORE UPDATE OF custody ON issuer
                BEGIN SELECT RAISE(ABORT, 'an issuer''s custody never changes'); END;
                CREATE TRIGGER issuer_kind_fixed BEFORE UPDATE OF kind ON issuer
                BEGIN SELECT RAISE(ABORT, 'an issuer''s kind never changes'); END;
                """)
        }
        return migrator
    }
}
