package import KeyboundPostgres

/// Keybound's schema on PostgreSQL: one list of versioned migrations for every store that lives
/// there, applied at start by ``migrate(_:)`` (one node at a time; a newer schema is refused).
///
/// Conventions, as in the SQLite files: identifiers (`issuer_id`, `kid`, …) are `text COLLATE "C"`,
/// compared and ordered by their exact bytes; times are seconds since 1970 (`double precision`,
/// the value a `Date` holds, so a row reads back exactly as it was written). The database enforces
/// what must never happen, whichever code writes: triggers refuse the forbidden changes and
/// partial unique indexes the forbidden states.
package enum KeyboundPostgresSchema {
    /// Every migration, in version order.
    package static let migrations: [PostgresMigration] = [keyStore, providerStore, rotationLeadership, alerts, directoryVersions, auditLog, mail, incidents, files, auditResource, issuanceFeed, keyCustody, consoleIdentities]

    /// The migrator over ``migrations``.
    package static var migrator: PostgresMigrator { PostgresMigrator(migrations) }

    /// Brings `database` to the newest schema this build knows, or refuses a newer one.
    package static func migrate(_ database: PostgresBackend) async throws(StoreError) {
        do {
            _ = try await migrator.migrate(database)
        } catch {
            throw StoreError(.storage, error.message)
        }
    }

    /// Version 1: issuers, their keys and the key-event log (``PostgresKeyStore``).
    static let keyStore = PostgresMigration(version: 1, name: "issuers, keys, key events", statements: [
        """
        CREATE FUNCTION keybound_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
        END $$
        """,
        """
        CREATE TABLE issuer (
            id text COLLATE "C" PRIMARY KEY,
            url text COLLATE "C" NOT NULL UNIQUE,
            kind text NOT NULL CHECK (kind IN ('consumer', 'tenant')),
            -- A tid names one issuer's tenant in the store, exactly.
            tenant_id text COLLATE "C" NOT NULL UNIQUE,
            algorithm text NOT NULL,
            rotation_period double precision NOT NULL,
            publish_lead_time double precision NOT NULL,
            maximum_token_lifetime double precision NOT NULL,
            maximum_key_age double precision NOT NULL,
            created_at double precision NOT NULL)
        """,
        """
        CREATE TRIGGER issuer_tenant_id_fixed BEFORE UPDATE OF tenant_id ON issuer
            FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
            EXECUTE FUNCTION keybound_refuse('a tenant id never changes')
        """,
        """
        CREATE TRIGGER issuer_no_delete BEFORE DELETE ON issuer
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('issuers are never deleted')
        """,
        """
        CREATE TRIGGER issuer_no_truncate BEFORE TRUNCATE ON issuer
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('issuers are never deleted')
        """,
        """
        CREATE TABLE signing_key (
            issuer_id text COLLATE "C" NOT NULL REFERENCES issuer (id),
            kid text COLLATE "C" NOT NULL,
            algorithm text NOT NULL,
            purpose text NOT NULL CHECK (purpose IN ('access-token', 'id-token')),
            state text NOT NULL CHECK (state IN ('pending', 'active', 'verify-only', 'retired', 'revoked')),
            public_jwk text NOT NULL,
            sealed_private_key bytea NOT NULL,
            kek_fingerprint text NOT NULL,
            created_at double precision NOT NULL,
            scheduled_activation double precision,
            activated_at double precision,
            deactivated_at double precision,
            verify_until double precision,
            retired_at double precision,
            revoked_at double precision,
            revocation_reason text,
            revoked_by text,
            emergency_reason text,
            is_initial boolean NOT NULL DEFAULT false,
            PRIMARY KEY (issuer_id, kid))
        """,
        // A kid names one key of one issuer, forever.
        "CREATE UNIQUE INDEX signing_key_kid ON signing_key (kid)",
        // At most one active key per (issuer, purpose), whichever node writes.
        "CREATE UNIQUE INDEX one_active_key ON signing_key (issuer_id, purpose) WHERE state = 'active'",
        """
        CREATE TRIGGER signing_key_no_delete BEFORE DELETE ON signing_key
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('keys are never deleted')
        """,
        """
        CREATE TRIGGER signing_key_no_truncate BEFORE TRUNCATE ON signing_key
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('keys are never deleted')
        """,
        """
        CREATE TRIGGER signing_key_identity_fixed BEFORE UPDATE OF issuer_id, kid, purpose ON signing_key
            FOR EACH ROW WHEN (OLD.issuer_id IS DISTINCT FROM NEW.issuer_id OR OLD.kid IS DISTINCT FROM NEW.kid
                               OR OLD.purpose IS DISTINCT FROM NEW.purpose)
            EXECUTE FUNCTION keybound_refuse('a key''s issuer, kid and purpose never change')
        """,
        """
        CREATE TABLE key_event (
            sequence bigint PRIMARY KEY,
            issuer_id text COLLATE "C" NOT NULL,
            kid text COLLATE "C" NOT NULL,
            kind text NOT NULL,
            at double precision NOT NULL,
            actor text NOT NULL,
            reason text NOT NULL)
        """,
        """
        CREATE TRIGGER key_event_append_only BEFORE UPDATE OR DELETE ON key_event
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('key events are append-only')
        """,
        """
        CREATE TRIGGER key_event_no_truncate BEFORE TRUNCATE ON key_event
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('key events are append-only')
        """,
        "CREATE TABLE key_store_metadata (name text COLLATE \"C\" PRIMARY KEY, value text NOT NULL)",
    ])
}
