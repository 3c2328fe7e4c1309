internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 12: key custody, as in the SQLite key store's "v5: key custody". Every existing
    /// issuer and key is in software custody. A key's custody and an issuer's never change, and a
    /// PKCS#11 key records when its private half was destroyed in the token.
    static let keyCustody = PostgresMigration(version: 12, name: "key custody", statements: [
        "ALTER TABLE issuer ADD COLUMN custody text NOT NULL DEFAULT 'software' CHECK (custody IN ('software', 'pkcs11'))",
        "ALTER TABLE signing_key ADD COLUMN custody text NOT NULL DEFAULT 'software' CHECK (custody IN ('software', 'pkcs11'))",
        "ALTER TABLE signing_key ADD COLUMN private_destroyed_at double precision",
        """
        CREATE TRIGGER signing_key_custody_fixed BEFORE UPDATE OF custody ON signing_key
            FOR EACH ROW WHEN (OLD.custody IS DISTINCT FROM NEW.custody)
            EXECUTE FUNCTION keybound_refuse('a key''s custody never changes')
        """,
        """
        CREATE TRIGGER issuer_custody_fixed BEFORE UPDATE OF custody ON issuer
            FOR EACH ROW WHEN (OLD.custody IS DISTINCT FROM NEW.custody)
            EXECUTE FUNCTION keybound_refuse('an issuer''s custody never changes')
        """,
    ])
}
