import Foundation
import Keybound
internal import PostgresNIO

extension PostgresProviderStore {
    // MARK: Clients

    package func insert(_ client: ClientRecord) async throws(StoreError) {
        try client.validate()
        let exists = StoreError(.clientExists, "issuer '\(client.issuerID)' already has a client '\(client.clientID)'")
        try await write(conflict: exists) { connection, logger in
            try await connection.query("""
                INSERT INTO client (issuer_id, client_id, name, auth_method, secret_hash, jwks, redirect_uris, grant_types,
                                    roles, first_party, created_at, disabled, id_token_signed_response_alg)
                VALUES (\(client.issuerID), \(client.clientID), \(client.name), \(client.authenticationMethod.rawValue),
                        \(client.secretHash), \(client.jwks), \(StringList.encode(client.redirectURIs)),
                        \(StringList.encode(client.grantTypes)), \(StringList.encode(client.roles)), \(client.isFirstParty),
                        \(client.createdAt.timeIntervalSince1970), \(client.isDisabled), \(client.idTokenSignedResponseAlgorithm?.rawValue))
                """, logger: logger)
        }
    }

    package func update(_ client: ClientRecord) async throws(StoreError) {
        try client.validate()
        let updated = try await write { connection, logger in
            try await Self.rows("""
                UPDATE client SET name = \(client.name), auth_method = \(client.authenticationMethod.rawValue),
                    secret_hash = \(client.secretHash), jwks = \(client.jwks), redirect_uris = \(StringList.encode(client.redirectURIs)),
                    grant_types = \(StringList.encode(client.grantTypes)), roles = \(StringList.encode(client.roles)),
                    first_party = \(client.isFirstParty), disabled = \(client.isDisabled),
                    id_token_signed_response_alg = \(client.idTokenSignedResponseAlgorithm?.rawValue)
                WHERE issuer_id = \(client.issuerID) AND client_id = \(client.clientID)
                RETURNING client_id
                """, connection, logger: logger).count
        }
        guard updated == 1 else { throw StoreError(.clientNotFound, "issuer '\(client.issuerID)' has no client '\(client.clientID)'") }
    }

    package func client(issuerID: String, clientID: String) async throws(StoreError) -> ClientRecord? {
        try await fetchOne("SELECT * FROM client WHERE issuer_id = \(issuerID) AND client_id = \(clientID)", PostgresProviderRows.client(from:))
    }

    package func clients(issuerID: String) async throws(StoreError) -> [ClientRecord] {
        try await fetchAll("SELECT * FROM client WHERE issuer_id = \(issuerID) ORDER BY client_id", PostgresProviderRows.client(from:))
    }

    // MARK: Users

    package func insert(_ user: UserRecord) async throws(StoreError) {
        try ProviderRecordRules.validate(user)
        let exists = StoreError(.userExists, "issuer '\(user.issuerID)' already has a user '\(user.username)'")
        try await write(conflict: exists) { connection, logger in
            try await connection.query("""
                INSERT INTO app_user (issuer_id, subject, username, password_hash, display_name, email, created_at, disabled, roles)
                VALUES (\(user.issuerID), \(user.subject), \(user.username), \(user.passwordHash), \(user.displayName), \(user.email),
                        \(user.createdAt.timeIntervalSince1970), \(user.isDisabled), \(StringList.encode(user.roles)))
                """, logger: logger)
        }
    }

    package func update(_ user: UserRecord) async throws(StoreError) {
        try ProviderRecordRules.validate(user)
        let updated = try await write { connection, logger in
            try await Self.rows("""
                UPDATE app_user SET password_hash = \(user.passwordHash), display_name = \(user.displayName), email = \(user.email),
                    disabled = \(user.isDisabled), roles = \(StringList.encode(user.roles))
                WHERE issuer_id = \(user.issuerID) AND subject = \(user.subject)
                RETURNING subject
                """, connection, logger: logger).count
        }
        guard updated == 1 else { throw StoreError(.userNotFound, "issuer '\(user.issuerID)' has no user '\(user.subject)'") }
    }

    package func user(issuerID: String, username: String) async throws(StoreError) -> UserRecord? {
        try await fetchOne("SELECT * FROM app_user WHERE issuer_id = \(issuerID) AND username = \(username)", PostgresProviderRows.user(from:))
    }

    package func user(issuerID: String, subject: String) async throws(StoreError) -> UserRecord? {
        try await fetchOne("SELECT * FROM app_user WHERE issuer_id = \(issuerID) AND subject = \(subject)", PostgresProviderRows.user(from:))
    }

    package func users(issuerID: String) async throws(StoreError) -> [UserRecord] {
        try await fetchAll("SELECT * FROM app_user WHERE issuer_id = \(issuerID) ORDER BY username", PostgresProviderRows.user(from:))
    }

    // MARK: Resources

    package func upsert(_ resource: ResourceRecord) async throws(StoreError) {
        try ProviderRecordRules.validate(resource)
        try await write { connection, logger in
            for clientID in resource.serverClients {
                // FOR SHARE: the client cannot be changed to a public one before this commits.
                let method = try await connection.single(String.self, """
                    SELECT auth_method FROM client WHERE issuer_id = \(resource.issuerID) AND client_id = \(clientID) FOR SHARE
                    """, logger: logger)
                try ProviderRecordRules.checkServerClient(clientID, method: method, of: resource)
            }
            try await connection.query("""
                INSERT INTO resource (issuer_id, audience, scopes, roles, server_clients)
                VALUES (\(resource.issuerID), \(resource.audience), \(StringList.encode(resource.scopes)),
                        \(StringList.encode(resource.roles)), \(StringList.encode(resource.serverClients)))
                ON CONFLICT (issuer_id, audience) DO UPDATE SET scopes = excluded.scopes, roles = excluded.roles,
                    server_clients = excluded.server_clients
                """, logger: logger)
        }
    }

    package func resources(issuerID: String) async throws(StoreError) -> [ResourceRecord] {
        try await fetchAll("SELECT * FROM resource WHERE issuer_id = \(issuerID) ORDER BY audience", PostgresProviderRows.resource(from:))
    }

    package func resource(issuerID: String, audience: String) async throws(StoreError) -> ResourceRecord? {
        try await fetchOne("SELECT * FROM resource WHERE issuer_id = \(issuerID) AND audience = \(audience)", PostgresProviderRows.resource(from:))
    }
}
