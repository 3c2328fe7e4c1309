internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 2: the provider's directory, grants and issuance ledger (``PostgresProviderStore``).
    ///
    /// Every row is keyed by its issuer first. What the database refuses, whoever writes:
    /// - ledger rows, token and chain revocations and token events are never updated or deleted;
    /// - refresh tokens are never deleted, and only `spent_at`, `revoked_at` and
    ///   `revocation_reason` ever change, each once, from NULL.
    static let providerStore = PostgresMigration(version: 2, name: "provider directory, grants, ledger", statements: [
        """
        CREATE TABLE client (
            issuer_id text COLLATE "C" NOT NULL,
            client_id text COLLATE "C" NOT NULL,
            name text NOT NULL,
            auth_method text NOT NULL,
            secret_hash text,
            jwks text,
            redirect_uris text NOT NULL,
            grant_types text NOT NULL,
            roles text NOT NULL,
            first_party boolean NOT NULL,
            created_at double precision NOT NULL,
            disabled boolean NOT NULL,
            id_token_signed_response_alg text,
            PRIMARY KEY (issuer_id, client_id))
        """,
        """
        CREATE TABLE app_user (
            issuer_id text COLLATE "C" NOT NULL,
            subject text COLLATE "C" NOT NULL,
            username text COLLATE "C" NOT NULL,
            password_hash text NOT NULL,
            display_name text NOT NULL,
            email text,
            created_at double precision NOT NULL,
            disabled boolean NOT NULL,
            PRIMARY KEY (issuer_id, subject),
            UNIQUE (issuer_id, username))
        """,
        """
        CREATE TABLE resource (
            issuer_id text COLLATE "C" NOT NULL,
            audience text COLLATE "C" NOT NULL,
            scopes text NOT NULL,
            roles text NOT NULL,
            server_clients text NOT NULL,
            PRIMARY KEY (issuer_id, audience))
        """,
        """
        CREATE TABLE authorization_code (
            issuer_id text COLLATE "C" NOT NULL,
            code_hash text COLLATE "C" NOT NULL,
            client_id text COLLATE "C" NOT NULL,
            subject text COLLATE "C" NOT NULL,
            redirect_uri text NOT NULL,
            scope text NOT NULL,
            resource text,
            code_challenge text NOT NULL,
            nonce text,
            session_id text NOT NULL,
            auth_time double precision NOT NULL,
            expires_at double precision NOT NULL,
            used_at double precision,
            chain_id text COLLATE "C",
            PRIMARY KEY (issuer_id, code_hash))
        """,
        "CREATE INDEX authorization_code_expiry ON authorization_code (expires_at)",
        """
        CREATE TABLE refresh_token (
            issuer_id text COLLATE "C" NOT NULL,
            token_hash text COLLATE "C" NOT NULL,
            token_id text COLLATE "C" NOT NULL,
            client_id text COLLATE "C" NOT NULL,
            subject text COLLATE "C" NOT NULL,
            scope text NOT NULL,
            resource text,
            chain_id text COLLATE "C" NOT NULL,
            parent_token_id text COLLATE "C",
            session_id text,
            auth_time double precision,
            issued_at double precision NOT NULL,
            expires_at double precision NOT NULL,
            spent_at double precision,
            revoked_at double precision,
            revocation_reason text,
            PRIMARY KEY (issuer_id, token_hash),
            UNIQUE (issuer_id, token_id))
        """,
        "CREATE INDEX refresh_token_chain ON refresh_token (issuer_id, chain_id)",
        """
        CREATE FUNCTION keybound_refresh_token_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (OLD.issuer_id, OLD.token_hash, OLD.token_id, OLD.client_id, OLD.subject, OLD.scope, OLD.resource,
                OLD.chain_id, OLD.parent_token_id, OLD.session_id, OLD.auth_time, OLD.issued_at, OLD.expires_at)
               IS DISTINCT FROM
               (NEW.issuer_id, NEW.token_hash, NEW.token_id, NEW.client_id, NEW.subject, NEW.scope, NEW.resource,
                NEW.chain_id, NEW.parent_token_id, NEW.session_id, NEW.auth_time, NEW.issued_at, NEW.expires_at) THEN
                RAISE EXCEPTION 'a refresh token''s grant never changes' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF (OLD.spent_at IS NOT NULL AND NEW.spent_at IS DISTINCT FROM OLD.spent_at)
               OR (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at)
               OR (OLD.revocation_reason IS NOT NULL AND NEW.revocation_reason IS DISTINCT FROM OLD.revocation_reason) THEN
                RAISE EXCEPTION 'a refresh token is spent or revoked once' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$
        """,
        "CREATE TRIGGER refresh_token_guard BEFORE UPDATE ON refresh_token FOR EACH ROW EXECUTE FUNCTION keybound_refresh_token_guard()",
        """
        CREATE TRIGGER refresh_token_no_delete BEFORE DELETE ON refresh_token
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('refresh tokens are never deleted')
        """,
        """
        CREATE TRIGGER refresh_token_no_truncate BEFORE TRUNCATE ON refresh_token
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('refresh tokens are never deleted')
        """,
        """
        CREATE TABLE issuance (
            sequence bigint NOT NULL UNIQUE,
            issuer_id text COLLATE "C" NOT NULL,
            jti text COLLATE "C" NOT NULL,
            kid text COLLATE "C",
            kind text NOT NULL CHECK (kind IN ('access', 'id', 'refresh')),
            subject text COLLATE "C" NOT NULL,
            client_id text COLLATE "C" NOT NULL,
            audience text NOT NULL,
            scope text NOT NULL,
            roles text NOT NULL,
            tenant_id text COLLATE "C",
            issued_at double precision NOT NULL,
            expires_at double precision NOT NULL,
            parent_jti text COLLATE "C",
            session_id text,
            chain_id text COLLATE "C",
            grant_type text NOT NULL,
            claims_digest text NOT NULL,
            PRIMARY KEY (issuer_id, jti))
        """,
        "CREATE INDEX issuance_key ON issuance (issuer_id, kid)",
        "CREATE INDEX issuance_chain ON issuance (issuer_id, chain_id) WHERE chain_id IS NOT NULL",
        """
        CREATE TABLE token_revocation (
            issuer_id text COLLATE "C" NOT NULL,
            jti text COLLATE "C" NOT NULL,
            revoked_at double precision NOT NULL,
            reason text NOT NULL,
            PRIMARY KEY (issuer_id, jti))
        """,
        """
        CREATE TABLE chain_revocation (
            issuer_id text COLLATE "C" NOT NULL,
            chain_id text COLLATE "C" NOT NULL,
            revoked_at double precision NOT NULL,
            reason text NOT NULL,
            PRIMARY KEY (issuer_id, chain_id))
        """,
        """
        CREATE TABLE client_assertion (
            issuer_id text COLLATE "C" NOT NULL,
            client_id text COLLATE "C" NOT NULL,
            jti text COLLATE "C" NOT NULL,
            expires_at double precision NOT NULL,
            PRIMARY KEY (issuer_id, client_id, jti))
        """,
        "CREATE INDEX client_assertion_expiry ON client_assertion (expires_at)",
        """
        CREATE TABLE token_event (
            issuer_id text COLLATE "C" NOT NULL,
            sequence bigint NOT NULL,
            jti text COLLATE "C" NOT NULL,
            audience text NOT NULL,
            expires_at double precision NOT NULL,
            reason text NOT NULL,
            at double precision NOT NULL,
            PRIMARY KEY (issuer_id, sequence))
        """,
        "CREATE INDEX token_event_expiry ON token_event (issuer_id, expires_at)",
    ] + ["issuance", "token_revocation", "chain_revocation", "token_event"].flatMap { table in [
        """
        CREATE TRIGGER \(table)_append_only BEFORE UPDATE OR DELETE ON \(table)
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('\(table) rows are never updated or deleted')
        """,
        """
        CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table)
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('\(table) rows are never deleted')
        """,
    ] })
}

extension KeyboundPostgresSchema {
    /// Version 11: the issuance feed. Issued access tokens join the token-event log, numbered by
    /// the same per-issuer sequence as revocations: `reason` is `issued` and `claims_digest` the
    /// ledger's. Only a column is added, as in the SQLite file's "v8: issuance feed".
    static let issuanceFeed = PostgresMigration(version: 11, name: "issuance feed", statements: [
        "ALTER TABLE token_event ADD COLUMN claims_digest text",
    ])
}
