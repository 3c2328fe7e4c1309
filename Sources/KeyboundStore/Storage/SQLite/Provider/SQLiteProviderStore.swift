import Foundation
internal import GRDB
internal import KeyboundSQLite

/// The ``ProviderStore`` on SQLite, the embedded default: one file (`provider.sqlite`, WAL) next
/// to the key store, through a GRDB pool so reads never wait for the ledger's writes.
///
/// Ledger rows and revocations are never deleted (triggers refuse it); expired codes, assertion
/// ids and dead refresh chains are pruned (``prune(now:margin:)``).
///
/// Its calls are synchronous (a synchronous function satisfies the protocol's async requirement):
/// command-line tools call them directly, the server through ``ProviderStore``.
public final class SQLiteProviderStore: ProviderStore, @unchecked Sendable {
    let pool: DatabasePool
    /// The ledger's group-commit writer.
    let ledgerWriter: GroupCommitWriter<IssuanceEntry, [TokenEvent]>
    /// The database file.
    public let path: String

    /// The database file name inside a data directory.
    public static let fileName = "provider.sqlite"
    /// Told, in this process and after the commit, of every batch of token events: issuances (the
    /// ledger's commits) and revocations (RFC 7009, refresh-token reuse, code replay, incident response).
    public let tokenEventsAppended = StoreObservers<[TokenEvent]>()
    /// Told of each committed ledger batch.
    public let ledgerBatches = StoreObservers<LedgerBatch>()

    /// Opens (creating if needed) the provider store in `directory`, and migrates it.
    public init(directory: URL) throws(StoreError) {
        try SQLiteSupport.createDataDirectory(directory)
        path = directory.appendingPathComponent(Self.fileName).path
        do {
            pool = try SQLiteDatabase.openPool(path: path, migrator: Self.migrator)
        } catch {
            throw StoreError(.storage, "cannot open the provider store at '\(path)': \(error)")
        }
        ledgerWriter = Self.makeLedgerWriter(pool: pool, observers: ledgerBatches)
    }

    /// Runs `body` in a read transaction, mapping every database failure to ``StoreError``.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw Self.storeError(error) }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.writeImmediate(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        return StoreError(.storage, "provider store: \(error)")
    }

    /// Reads from the database: throws when it cannot be read (readiness checks). Cheap: one page.
    public func probe() throws(StoreError) {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'issuance'") }
    }

    /// Runs SQLite's integrity check; `true` when the database is sound.
    public func integrityCheck() throws(StoreError) -> Bool {
        try read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok" }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: clients, users, resources, codes, refresh tokens, ledger") { db in
            try db.execute(sql: """
                CREATE TABLE client (
                    issuer_id TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    auth_method TEXT NOT NULL,
                    secret_hash TEXT,
                    jwks TEXT,
                    redirect_uris TEXT NOT NULL,
                    grant_types TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    first_party INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (issuer_id, client_id)
                );
                CREATE TABLE user (
                    issuer_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    username TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    email TEXT,
                    created_at REAL NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (issuer_id, subject),
                    UNIQUE (issuer_id, username)
                );
                CREATE TABLE resource (
                    issuer_id TEXT NOT NULL,
                    audience TEXT NOT NULL,
                    scopes TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    PRIMARY KEY (issuer_id, audience)
                );
                CREATE TABLE authorization_code (
                    code_hash TEXT PRIMARY KEY NOT NULL,
                    issuer_id TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    redirect_uri TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    resource TEXT,
                    code_challenge TEXT NOT NULL,
                    nonce TEXT,
                    session_id TEXT NOT NULL,
                    auth_time REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    used_at REAL,
                    chain_id TEXT
                );
                CREATE TABLE refresh_token (
                    token_hash TEXT PRIMARY KEY NOT NULL,
                    token_id TEXT NOT NULL UNIQUE,
                    issuer_id TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    resource TEXT,
                    chain_id TEXT NOT NULL,
                    parent_token_id TEXT,
                    session_id TEXT,
                    auth_time REAL,
                    issued_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    spent_at REAL,
                    revoked_at REAL,
                    revocation_reason TEXT
                );
                CREATE INDEX refresh_token_chain ON refresh_token(chain_id);
                CREATE TABLE issuance (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    issuer_id TEXT NOT NULL,
                    kid TEXT,
                    jti TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    audience TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    tenant_id TEXT,
                    issued_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    parent_jti TEXT,
                    session_id TEXT,
                    chain_id TEXT,
                    grant_type TEXT NOT NULL,
                    claims_digest TEXT NOT NULL
                );
                CREATE INDEX issuance_chain ON issuance(chain_id) WHERE chain_id IS NOT NULL;
                CREATE TABLE token_revocation (
                    jti TEXT PRIMARY KEY NOT NULL,
                    revoked_at REAL NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE TABLE client_assertion (
                    issuer_id TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    jti TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    PRIMARY KEY (issuer_id, client_id, jti)
                );
                CREATE TRIGGER issuance_append_only_delete BEFORE DELETE ON issuance
                BEGIN SELECT RAISE(ABORT, 'the issuance ledger is append-only'); END;
                CREATE TRIGGER issuance_append_only_update BEFORE UPDATE ON issuance
                BEGIN SELECT RAISE(ABORT, 'the issuance ledger is append-only'); END;
                CREATE TRIGGER refresh_token_no_delete BEFORE DELETE ON refresh_token
                BEGIN SELECT RAISE(ABORT, 'refresh tokens are never deleted'); END;
                CREATE TRIGGER token_revocation_no_delete BEFORE DELETE ON token_revocation
                BEGIN SELECT RAISE(ABORT, 'revocations are never deleted'); END;
                """)
        }
        migrator.registerMigration("v2: chain revocations") { db in
            // A revoked refresh chain, so tokens of that chain still waiting for the ledger's
            // group commit are refused in the same serialized writer.
            try db.execute(sql: """
                CREATE TABLE chain_revocation (
                    chain_id TEXT PRIMARY KEY NOT NULL,
                    revoked_at REAL NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE TRIGGER chain_revocation_no_delete BEFORE DELETE ON chain_revocation
                BEGIN SELECT RAISE(ABORT, 'revocations are never deleted'); END;
                """)
        }
        migrator.registerMigration("v3: client id_token_signed_response_alg") { db in
            // NULL: the default, RS256 (OpenID Connect Dynamic Client Registration §2).
            try db.execute(sql: "ALTER TABLE client ADD COLUMN id_token_signed_response_alg TEXT")
        }
        registerPruningMigration(&migrator)
        migrator.registerMigration("v4: server clients, token events") { db in
            // The confidential clients (of the same issuer) that serve a resource: they may
            // introspect its tokens and follow its token revocations.
            // A token event: one revoked access token, numbered by one sequence per issuer in
            // commit order (the number is taken inside the revocation's write transaction).
            try db.execute(sql: """
                ALTER TABLE resource ADD COLUMN server_clients TEXT NOT NULL DEFAULT '[]';
                CREATE TABLE token_event (
                    issuer_id TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    jti TEXT NOT NULL,
                    audience TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    reason TEXT NOT NULL,
                    at REAL NOT NULL,
                    PRIMARY KEY (issuer_id, sequence)
                );
                CREATE INDEX token_event_expiry ON token_event(issuer_id, expires_at);
                CREATE TRIGGER token_event_append_only_delete BEFORE DELETE ON token_event
                BEGIN SELECT RAISE(ABORT, 'token events are append-only'); END;
                CREATE TRIGGER token_event_append_only_update BEFORE UPDATE ON token_event
                BEGIN SELECT RAISE(ABORT, 'token events are append-only'); END;
                """)
        }
        migrator.registerMigration("v5: revocations name their issuer") { db in
            // Revocations are looked up as (issuer, jti) and (issuer, chain). Older rows get
            // their issuer from the ledger or the chain's refresh tokens.
            try db.execute(sql: """
                ALTER TABLE token_revocation ADD COLUMN issuer_id TEXT;
                UPDATE token_revocation SET issuer_id = (SELECT issuer_id FROM issuance WHERE issuance.jti = token_revocation.jti);
                ALTER TABLE chain_revocation ADD COLUMN issuer_id TEXT;
                UPDATE chain_revocation SET issuer_id = COALESCE(
                    (SELECT issuer_id FROM refresh_token WHERE refresh_token.chain_id = chain_revocation.chain_id LIMIT 1),
                    (SELECT issuer_id FROM issuance WHERE issuance.chain_id = chain_revocation.chain_id LIMIT 1));
                CREATE TRIGGER token_revocation_no_update BEFORE UPDATE ON token_revocation
                BEGIN SELECT RAISE(ABORT, 'revocations are never updated'); END;
                CREATE TRIGGER chain_revocation_no_update BEFORE UPDATE ON chain_revocation
                BEGIN SELECT RAISE(ABORT, 'revocations are never updated'); END;
                """)
        }
        migrator.registerMigration("v6: recent security alerts") { db in
            try db.execute(sql: """
                CREATE TABLE alert (
                    sequence INTEGER PRIMARY KEY,
                    node TEXT NOT NULL,
                    raised_at REAL NOT NULL,
                    code TEXT NOT NULL,
                    issuer TEXT,
                    body TEXT NOT NULL)
                """)
        }
        migrator.registerMigration("v7: directory versions") { db in
            try db.execute(sql: "CREATE TABLE directory_version (issuer_id TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            try db.execute(sql: "INSERT INTO directory_version SELECT issuer_id, 1 FROM (SELECT issuer_id FROM client UNION SELECT issuer_id FROM user UNION SELECT issuer_id FROM resource)")
            for table in ["client", "user", "resource"] {
                for (event, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_\(event.lowercased())_directory_version AFTER \(event) ON \(table)
                        BEGIN
                            INSERT INTO directory_version (issuer_id, version) VALUES (\(row).issuer_id, 1)
                            ON CONFLICT (issuer_id) DO UPDATE SET version = version + 1;
                        END
                        """)
                }
            }
        }
        migrator.registerMigration("v8: issuance feed") { db in
            // Issued access tokens join the token-event log, numbered by the same per-issuer
            // sequence as revocations: `reason` is 'issued' and `claims_digest` the ledger's.
            try db.execute(sql: "ALTER TABLE token_event ADD COLUMN claims_digest TEXT")
        }
        migrator.registerMigration("v9: user roles, the admin log") { db in
            // A user holds roles as a client does (`<audience>/<role>`); every existing user holds none.
            try db.execute(sql: "ALTER TABLE user ADD COLUMN roles TEXT NOT NULL DEFAULT '[]'")
            // The hash-chained admin log (AdminLogChain), append-only.
            try db.execute(sql: """
                CREATE TABLE admin_log (
                    sequence INTEGER PRIMARY KEY NOT NULL,
                    at REAL NOT NULL,
                    actor_issuer TEXT NOT NULL,
                    actor_subject TEXT NOT NULL,
                    action TEXT NOT NULL,
                    issuer_id TEXT,
                    target TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX admin_log_issuer ON admin_log(issuer_id, sequence);
                CREATE TRIGGER admin_log_no_update BEFORE UPDATE ON admin_log
                BEGIN SELECT RAISE(ABORT, 'the admin log is append-only'); END;
                CREATE TRIGGER admin_log_no_delete BEFORE DELETE ON admin_log
                BEGIN SELECT RAISE(ABORT, 'the admin log is append-only'); END;
                """)
        }
        return migrator
    }
}
