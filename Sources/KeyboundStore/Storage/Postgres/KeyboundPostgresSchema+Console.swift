internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 13: the console's identities and the admin log, as in the SQLite key store's "v6: the
    /// operator issuer kind, one per store" and the provider store's "v9: user roles, the admin log".
    /// At most one operator issuer per store, an issuer's kind never changes, every user holds a
    /// list of roles (none before), and the admin log is append-only.
    static let consoleIdentities = PostgresMigration(version: 13, name: "operator issuer, user roles, admin log", statements: [
        "ALTER TABLE issuer DROP CONSTRAINT issuer_kind_check",
        "ALTER TABLE issuer ADD CONSTRAINT issuer_kind_check CHECK (kind IN ('consumer', 'tenant', 'operator'))",
        "CREATE UNIQUE INDEX one_operator_issuer ON issuer(kind) WHERE kind = 'operator'",
        """
        CREATE TRIGGER issuer_kind_fixed BEFORE UPDATE OF kind ON issuer
            FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind)
            EXECUTE FUNCTION keybound_refuse('an issuer''s kind never changes')
        """,
        "ALTER TABLE app_user ADD COLUMN roles text NOT NULL DEFAULT '[]'",
        """
        CREATE TABLE admin_log (
            sequence bigint PRIMARY KEY,
            at double precision NOT NULL,
            actor_issuer text COLLATE "C" NOT NULL,
            actor_subject text COLLATE "C" NOT NULL,
            action text COLLATE "C" NOT NULL,
            issuer_id text COLLATE "C",
            target text COLLATE "C" NOT NULL,
            reason text NOT NULL,
            outcome text NOT NULL,
            previous_hash text NOT NULL,
            hash text NOT NULL)
        """,
        "CREATE INDEX admin_log_issuer ON admin_log(issuer_id, sequence)",
        """
        CREATE TRIGGER admin_log_append_only BEFORE UPDATE OR DELETE ON admin_log
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('the admin log is append-only')
        """,
        """
        CREATE TRIGGER admin_log_no_truncate BEFORE TRUNCATE ON admin_log
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('the admin log is append-only')
        """,
    ])
}
