internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 6: the audit log of a protected resource (KeyboundAudit's PostgreSQL storage), the
    /// same tables as its SQLite file. Records, checkpoints, prune records and keys are never
    /// updated; checkpoints, prune records and keys are never deleted; a record is deleted only
    /// when a signed prune record already covers it (retention removes whole segments), and no
    /// table is ever truncated. The private half of the signing key is not here: it is the key
    /// store's sealed secret `audit-signing-key`, sealed under the KEK.
    static let auditLog = PostgresMigration(version: 6, name: "audit log", statements: [
        """
        CREATE TABLE audit_key (
            key_id text COLLATE "C" PRIMARY KEY,
            algorithm text NOT NULL,
            public_key bytea NOT NULL,
            created_at_ms bigint NOT NULL)
        """,
        """
        CREATE TABLE audit_record (
            sequence bigint PRIMARY KEY,
            time_ms bigint NOT NULL,
            tenant text COLLATE "C",
            mailbox text COLLATE "C",
            operation text COLLATE "C" NOT NULL,
            item_ids text COLLATE "C" NOT NULL,
            client_id text COLLATE "C",
            client_ip text COLLATE "C",
            user_agent text COLLATE "C",
            session_id text COLLATE "C",
            token_iss text COLLATE "C",
            token_kid text COLLATE "C",
            token_jti text COLLATE "C",
            token_sub text COLLATE "C",
            token_aud text COLLATE "C",
            token_scope text COLLATE "C",
            token_roles text COLLATE "C",
            token_iat_ms bigint,
            token_exp_ms bigint,
            claims_digest text COLLATE "C",
            verdict text COLLATE "C" NOT NULL,
            rejection_code text COLLATE "C",
            tenant_issuer text COLLATE "C",
            attribution text COLLATE "C",
            attempt_count bigint,
            hash bytea NOT NULL)
        """,
        "CREATE INDEX audit_record_tenant ON audit_record (tenant, sequence)",
        """
        CREATE TABLE audit_checkpoint (
            segment bigint PRIMARY KEY,
            first_sequence bigint NOT NULL,
            last_sequence bigint NOT NULL UNIQUE,
            record_count bigint NOT NULL,
            previous_hash bytea NOT NULL,
            last_hash bytea NOT NULL,
            oldest_record_ms bigint NOT NULL,
            newest_record_ms bigint NOT NULL,
            created_at_ms bigint NOT NULL,
            key_id text COLLATE "C" NOT NULL REFERENCES audit_key (key_id),
            signature bytea NOT NULL)
        """,
        """
        CREATE TABLE audit_prune (
            id bigint PRIMARY KEY,
            through_segment bigint NOT NULL,
            through_sequence bigint NOT NULL,
            cutoff_ms bigint NOT NULL,
            pruned_at_ms bigint NOT NULL,
            key_id text COLLATE "C" NOT NULL REFERENCES audit_key (key_id),
            signature bytea NOT NULL)
        """,
        """
        CREATE FUNCTION keybound_audit_record_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.sequence > COALESCE((SELECT MAX(through_sequence) FROM audit_prune), 0) THEN
                RAISE EXCEPTION 'audit records are removed only by pruning whole segments'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN OLD;
        END $$
        """,
        """
        CREATE TRIGGER audit_record_delete_only_pruned BEFORE DELETE ON audit_record
            FOR EACH ROW EXECUTE FUNCTION keybound_audit_record_delete()
        """,
        """
        CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('the audit log is append-only')
        """,
        """
        CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('audit records are removed only by pruning whole segments')
        """,
    ] + ["audit_checkpoint", "audit_prune", "audit_key"].flatMap { table in
        [
            """
            CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
                FOR EACH ROW EXECUTE FUNCTION keybound_refuse('\(table) rows are never changed')
            """,
            """
            CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
                FOR EACH ROW EXECUTE FUNCTION keybound_refuse('\(table) rows are never deleted')
            """,
            """
            CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table)
                FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('\(table) rows are never deleted')
            """,
        ]
    })
}

extension KeyboundPostgresSchema {
    /// Version 10: audit record format 3, as in the SQLite file: `resource_server` names the
    /// resource server that wrote a record. Only a column is added (the record's `resource` stays
    /// in the column `mailbox`), so nodes of the previous release keep writing during a rolling
    /// upgrade; their records are format 2, which the chain holds beside format 3.
    static let auditResource = PostgresMigration(version: 10, name: "audit resource server", statements: [
        "ALTER TABLE audit_record ADD COLUMN resource_server text COLLATE \"C\"",
    ])
}
