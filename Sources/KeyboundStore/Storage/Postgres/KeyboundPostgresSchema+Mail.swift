internal import KeyboundPostgres

extension KeyboundPostgresSchema {
    /// Version 7: Keybound Mail's mailboxes and messages (KeyboundMail's PostgreSQL storage), as in
    /// its SQLite file. A mailbox belongs to one owner (issuer, subject) and its address to one
    /// mailbox; mailboxes are never changed or deleted, and messages never changed.
    static let mail = PostgresMigration(version: 7, name: "mail", statements: [
        """
        CREATE TABLE mailbox (
            address text COLLATE "C" PRIMARY KEY,
            issuer text COLLATE "C" NOT NULL,
            tenant_id text COLLATE "C" NOT NULL,
            subject text COLLATE "C" NOT NULL,
            display_name text NOT NULL,
            created_at_ms bigint NOT NULL,
            UNIQUE (issuer, subject))
        """,
        "CREATE INDEX mailbox_by_subject ON mailbox (subject)",
        """
        CREATE TABLE mail_message (
            id text COLLATE "C" PRIMARY KEY,
            mailbox text COLLATE "C" NOT NULL REFERENCES mailbox (address),
            folder text NOT NULL CHECK (folder IN ('inbox', 'sent')),
            sender text COLLATE "C" NOT NULL,
            recipients text COLLATE "C" NOT NULL,
            subject text NOT NULL,
            body text NOT NULL,
            received_at_ms bigint NOT NULL)
        """,
        "CREATE INDEX mail_message_by_mailbox ON mail_message (mailbox, received_at_ms DESC, id)",
        """
        CREATE TRIGGER mailbox_no_update BEFORE UPDATE ON mailbox
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('mailboxes are never changed')
        """,
        """
        CREATE TRIGGER mailbox_no_delete BEFORE DELETE ON mailbox
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('mailboxes are never deleted')
        """,
        """
        CREATE TRIGGER mail_message_no_update BEFORE UPDATE ON mail_message
            FOR EACH ROW EXECUTE FUNCTION keybound_refuse('messages are never changed')
        """,
    ])
}
