internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 9: Keybound Files' drives (KeyboundFiles' PostgreSQL storage), as in its SQLite
    /// file. A file is its owner's (issuer, tenant id, subject) and is found by exact bytes.
    static let files = PostgresMigration(version: 9, name: "files", statements: [
        """
        CREATE TABLE drive_file (
            issuer text COLLATE "C" NOT NULL,
            tenant_id text COLLATE "C" NOT NULL,
            owner text COLLATE "C" NOT NULL,
            name text COLLATE "C" NOT NULL,
            content_type text NOT NULL,
            content bytea NOT NULL,
            modified_at_ms bigint NOT NULL,
            PRIMARY KEY (issuer, tenant_id, owner, name))
        """,
    ])
}
