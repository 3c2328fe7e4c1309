internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 8: incidents and their documents (KeyboundIncident's PostgreSQL store), shared by
    /// every node. An incident is one (issuer, key): a second response to the same key resumes it.
    /// Its state is the incident's JSON (`incident.json` of a data directory), rewritten after
    /// each step; its documents (the hunt, the timeline, the notices) are written, and rewritten
    /// by a resumed run, under their file names. Incidents are never deleted, nor renamed, nor
    /// moved to another issuer or key.
    static let incidents = PostgresMigration(version: 8, name: "incidents", statements: [
        """
        CREATE TABLE incident (
            id text COLLATE "C" PRIMARY KEY,
            issuer_id text COLLATE "C" NOT NULL REFERENCES issuer (id),
            kid text COLLATE "C" NOT NULL,
            opened_at double precision NOT NULL,
            state text NOT NULL,
            updated_at double precision NOT NULL,
            UNIQUE (issuer_id, kid))
        """,
        """
        CREATE TABLE incident_document (
            incident_id text COLLATE "C" NOT NULL REFERENCES incident (id),
            name text COLLATE "C" NOT NULL,
            body text NOT NULL,
            written_at double precision NOT NULL,
            PRIMARY KEY (incident_id, name))
        """,
        """
        CREATE TRIGGER incident_identity_fixed BEFORE UPDATE OF id, issuer_id, kid, opened_at ON incident
            FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.issuer_id IS DISTINCT FROM NEW.issuer_id
                               OR OLD.kid IS DISTINCT FROM NEW.kid OR OLD.opened_at IS DISTINCT FROM NEW.opened_at)
            EXECUTE FUNCTION keybound_refuse('an incident''s id, issuer, key and opening time never change')
        """,
        """
        CREATE TRIGGER incident_no_delete BEFORE DELETE ON incident
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('incidents are never deleted')
        """,
        """
        CREATE TRIGGER incident_no_truncate BEFORE TRUNCATE ON incident
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('incidents are never deleted')
        """,
        """
        CREATE TRIGGER incident_document_no_delete BEFORE DELETE ON incident_document
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('incident documents are never deleted')
        """,
        """
        CREATE TRIGGER incident_document_no_truncate BEFORE TRUNCATE ON incident_document
            FOR EACH STATEMENT EXECUTE FUNCTION keybound_refuse('incident documents are never deleted')
        """,
    ])
}
