internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 13: the console's identities, as in the SQLite key store's "v6: the operator issuer
    /// kind, one per store" and the provider store's "v9: user roles". At most one operator issuer
    /// per store, an issuer's kind never changes, and every user holds a list of roles (none before).
    static let consoleIdentities = PostgresMigration(version: 13, name: "operator issuer, user roles", statements: [
        "ALTER TABLE issuer DROP CONSTRAINT issuer_kind_check",
        "ALTER TABLE issuer ADD CONSTRAINT issuer_kind_check CHECK (kind IN ('consumer', 'tenant', 'operator'))",
        "CREATE UNIQUE INDEX one_operator_issuer ON issuer(kind) WHERE kind = 'operator'",
        """
        CREATE TRIGGER issuer_kind_fixed BEFORE UPDATE OF kind ON issuer
            FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind)
            EXECUTE FUNCTION keybound_refuse('an issuer''s kind never changes')
        """,
        "ALTER TABLE app_user ADD COLUMN roles text NOT NULL DEFAULT '[]'",
    ])
}
