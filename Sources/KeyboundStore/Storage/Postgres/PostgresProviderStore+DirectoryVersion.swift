import Foundation
internal import KeyboundPostgres
internal import PostgresNIO
import Logging

extension PostgresProviderStore {
    package func directoryVersion(issuerID: String) async throws(StoreError) -> Int64 {
        try await read { connection, logger in
            try await connection.single(Int64.self, "SELECT version FROM directory_version WHERE issuer_id = \(issuerID)", logger: logger) ?? 0
        }
    }

    /// The directory versions of `issuers` now (0 for an issuer whose directory never changed),
    /// read inside the ledger batch's transaction.
    static func directoryVersions(_ issuers: [String], _ connection: PostgresConnection, logger: Logger) async throws -> [[UInt8]: Int64] {
        var versions: [[UInt8]: Int64] = [:]
        for issuer in issuers { versions[Array(issuer.utf8)] = 0 }
        for row in try await rows("SELECT issuer_id, version FROM directory_version WHERE issuer_id = ANY(\(issuers))", connection, logger: logger) {
            versions[Array(try row["issuer_id"].decode(String.self).utf8)] = try row["version"].decode(Int64.self)
        }
        return versions
    }
}

extension KeyboundPostgresSchema {
    /// Version 5: each issuer's directory version, counted by triggers on every change to its
    /// clients, users and resources, whoever writes; each change is also announced to the nodes
    /// (`directory <issuer>`), which drop their copies of that issuer's directory.
    static let directoryVersions = PostgresMigration(version: 5, name: "directory versions", statements: [
        "CREATE TABLE directory_version (issuer_id text COLLATE \"C\" PRIMARY KEY, version bigint NOT NULL)",
        """
        INSERT INTO directory_version (issuer_id, version)
        SELECT issuer_id, 1 FROM (SELECT issuer_id FROM client UNION SELECT issuer_id FROM app_user UNION SELECT issuer_id FROM resource) AS issuers
        """,
        """
        CREATE FUNCTION keybound_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            issuer text;
        BEGIN
            IF TG_OP = 'DELETE' THEN issuer := OLD.issuer_id; ELSE issuer := NEW.issuer_id; END IF;
            INSERT INTO directory_version (issuer_id, version) VALUES (issuer, 1)
                ON CONFLICT (issuer_id) DO UPDATE SET version = directory_version.version + 1;
            PERFORM pg_notify('keybound_changes', 'directory ' || issuer);
            RETURN NULL;
        END $$
        """,
    ] + ["client", "app_user", "resource"].map { table in
        """
        CREATE TRIGGER \(table)_directory_version AFTER INSERT OR UPDATE OR DELETE ON \(table)
            FOR EACH ROW EXECUTE FUNCTION keybound_directory_changed()
        """
    })
}
