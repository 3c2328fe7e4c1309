internal import GRDB

/// The audit database's tables and the triggers that keep it append-only.
///
/// Records are never updated. A record may be deleted only when a signed prune row already covers
/// its sequence number (`audit_prune.through_sequence`), which ``AuditLog/prune(olderThan:now:)``
/// inserts in the same transaction, for whole segments only. Checkpoints, prune rows and keys are
/// never updated or deleted. Anyone with raw write access to the file can drop triggers; the hash
/// chain and the signed checkpoints are what make that visible (see `docs/audit.md`).
enum AuditSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: audit records, checkpoints, prunes, keys") { db in
            try db.execute(sql: """
                CREATE TABLE audit_key (
                    key_id TEXT PRIMARY KEY NOT NULL,
                    algorithm TEXT NOT NULL,
                    public_key BLOB NOT NULL,
                    created_at_ms INTEGER NOT NULL
                );
                CREATE TABLE audit_record (
                    sequence INTEGER PRIMARY KEY NOT NULL,
                    time_ms INTEGER NOT NULL,
                    tenant TEXT,
                    mailbox TEXT,
                    operation TEXT NOT NULL,
                    item_ids TEXT NOT NULL,
                    client_id TEXT,
                    client_ip TEXT,
                    user_agent TEXT,
                    session_id TEXT,
                    token_iss TEXT,
                    token_kid TEXT,
                    token_jti TEXT,
                    token_sub TEXT,
                    token_aud TEXT,
                    token_scope TEXT,
                    token_roles TEXT,
                    token_iat_ms INTEGER,
                    token_exp_ms INTEGER,
                    claims_digest TEXT,
                    verdict TEXT NOT NULL,
                    rejection_code TEXT,
                    hash BLOB NOT NULL
                );
                CREATE INDEX audit_record_tenant ON audit_record(tenant, sequence);
                CREATE TABLE audit_checkpoint (
                    segment INTEGER PRIMARY KEY NOT NULL,
                    first_sequence INTEGER NOT NULL,
                    last_sequence INTEGER NOT NULL UNIQUE,
                    record_count INTEGER NOT NULL,
                    previous_hash BLOB NOT NULL,
                    last_hash BLOB NOT NULL,
                    oldest_record_ms INTEGER NOT NULL,
                    newest_record_ms INTEGER NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    key_id TEXT NOT NULL REFERENCES audit_key(key_id),
                    signature BLOB NOT NULL
                );
                CREATE TABLE audit_prune (
                    id INTEGER PRIMARY KEY NOT NULL,
                    through_segment INTEGER NOT NULL,
                    through_sequence INTEGER NOT NULL,
                    cutoff_ms INTEGER NOT NULL,
                    pruned_at_ms INTEGER NOT NULL,
                    key_id TEXT NOT NULL REFERENCES audit_key(key_id),
                    signature BLOB NOT NULL
                );
                CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_record_delete_only_pruned BEFORE DELETE ON audit_record
                WHEN OLD.sequence > COALESCE((SELECT MAX(through_sequence) FROM audit_prune), 0)
                BEGIN SELECT RAISE(ABORT, 'audit records are removed only by pruning whole segments'); END;
                CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
                BEGIN SELECT RAISE(ABORT, 'audit checkpoints are never changed'); END;
                CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
                BEGIN SELECT RAISE(ABORT, 'audit checkpoints are never deleted'); END;
                CREATE TRIGGER audit_prune_no_update BEFORE UPDATE ON audit_prune
                BEGIN SELECT RAISE(ABORT, 'audit prune records are never changed'); END;
                CREATE TRIGGER audit_prune_no_delete BEFORE DELETE ON audit_prune
                BEGIN SELECT RAISE(ABORT, 'audit prune records are never deleted'); END;
                CREATE TRIGGER audit_key_no_update BEFORE UPDATE ON audit_key
                BEGIN SELECT RAISE(ABORT, 'audit keys are never changed'); END;
                CREATE TRIGGER audit_key_no_delete BEFORE DELETE ON audit_key
                BEGIN SELECT RAISE(ABORT, 'audit keys are never deleted'); END;
                """)
        }
        migrator.registerMigration("v2: tenant issuer, attribution, attempt count") { db in
            try db.execute(sql: """
                ALTER TABLE audit_record ADD COLUMN tenant_issuer TEXT;
                ALTER TABLE audit_record ADD COLUMN attribution TEXT;
                ALTER TABLE audit_record ADD COLUMN attempt_count INTEGER;
                """)
        }
        // Format 3: the resource server that wrote a record. Only a column is added, so a node
        // of the previous release still writes (format 2 records) during a rolling upgrade.
        migrator.registerMigration("v3: resource server") { db in
            try db.execute(sql: "ALTER TABLE audit_record ADD COLUMN resource_server TEXT")
        }
        return migrator
    }

    /// Every trigger's name (tamper tests drop them on a copy).
    static let triggerNames = [
        "audit_record_no_update", "audit_record_delete_only_pruned", "audit_checkpoint_no_update",
        "audit_checkpoint_no_delete", "audit_prune_no_update", "audit_prune_no_delete", "audit_key_no_update",
        "audit_key_no_delete",
    ]
}
