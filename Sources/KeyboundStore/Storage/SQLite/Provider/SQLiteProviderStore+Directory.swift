import Foundation
internal import GRDB
import Keybound

extension SQLiteProviderStore {
    // MARK: Clients

    /// Registers a client. Throws ``StoreErrorCode/clientExists`` if the issuer has one with that id.
    public func insert(_ client: ClientRecord) throws(StoreError) {
        try client.validate()
        try write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM client WHERE issuer_id = ? AND client_id = ?",
                                arguments: [client.issuerID, client.clientID]) != nil {
                throw StoreError(.clientExists, "issuer '\(client.issuerID)' already has a client '\(client.clientID)'")
            }
            try db.execute(sql: """
                INSERT INTO client (issuer_id, client_id, name, auth_method, secret_hash, jwks, redirect_uris, grant_types,
                                    roles, first_party, created_at, disabled)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [client.issuerID, client.clientID, client.name, client.authenticationMethod.rawValue,
                                 client.secretHash, client.jwks, StringList.encode(client.redirectURIs),
                                 StringList.encode(client.grantTypes), StringList.encode(client.roles), client.isFirstParty,
                                 client.createdAt.timeIntervalSince1970, client.isDisabled])
            try Self.storeIDTokenAlgorithm(of: client, db)
        }
    }

    /// Replaces a client's settings (secret, roles, redirect URIs, disabled flag…).
    public func update(_ client: ClientRecord) throws(StoreError) {
        try client.validate()
        try write { db in
            try db.execute(sql: """
                UPDATE client SET name = ?, auth_method = ?, secret_hash = ?, jwks = ?, redirect_uris = ?, grant_types = ?,
                                  roles = ?, first_party = ?, disabled = ?
                WHERE issuer_id = ? AND client_id = ?
                """, arguments: [client.name, client.authenticationMethod.rawValue, client.secretHash, client.jwks,
                                 StringList.encode(client.redirectURIs), StringList.encode(client.grantTypes),
                                 StringList.encode(client.roles), client.isFirstParty, client.isDisabled,
                                 client.issuerID, client.clientID])
            guard db.changesCount == 1 else {
                throw StoreError(.clientNotFound, "issuer '\(client.issuerID)' has no client '\(client.clientID)'")
            }
            try Self.storeIDTokenAlgorithm(of: client, db)
        }
    }

    /// Stores the client's `id_token_signed_response_alg` (`NULL`: the default, RS256).
    static func storeIDTokenAlgorithm(of client: ClientRecord, _ db: Database) throws {
        try db.execute(sql: "UPDATE client SET id_token_signed_response_alg = ? WHERE issuer_id = ? AND client_id = ?",
                       arguments: [client.idTokenSignedResponseAlgorithm?.rawValue, client.issuerID, client.clientID])
    }

    /// The client `clientID` of issuer `issuerID`, or `nil`. Never another issuer's client.
    public func client(issuerID: String, clientID: String) throws(StoreError) -> ClientRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM client WHERE issuer_id = ? AND client_id = ?",
                             arguments: [issuerID, clientID]).map(Self.client(from:))
        }
    }

    /// Every client of an issuer, by id.
    public func clients(issuerID: String) throws(StoreError) -> [ClientRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM client WHERE issuer_id = ? ORDER BY client_id", arguments: [issuerID])
                .map(Self.client(from:))
        }
    }

    static func client(from row: Row) throws -> ClientRecord {
        let idTokenAlgorithm = (row["id_token_signed_response_alg"] as String?).map { JWSAlgorithm(rawValue: $0) }
        guard let method = ClientRecord.AuthenticationMethod(rawValue: row["auth_method"]), idTokenAlgorithm != .some(nil) else {
            throw StoreError(.storage, "client row '\(row["client_id"] as String? ?? "?")' is corrupt")
        }
        var client = ClientRecord(
            issuerID: row["issuer_id"], clientID: row["client_id"], name: row["name"], authenticationMethod: method,
            secretHash: row["secret_hash"], jwks: row["jwks"], redirectURIs: StringList.decode(row["redirect_uris"]),
            grantTypes: StringList.decode(row["grant_types"]), roles: StringList.decode(row["roles"]),
            isFirstParty: row["first_party"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            isDisabled: row["disabled"])
        client.idTokenSignedResponseAlgorithm = idTokenAlgorithm ?? nil
        return client
    }

    // MARK: Users

    /// Creates a user. Throws ``StoreErrorCode/userExists`` if the issuer has one with that name.
    public func insert(_ user: UserRecord) throws(StoreError) {
        try ProviderRecordRules.validate(user)
        try write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM user WHERE issuer_id = ? AND username = ?",
                                arguments: [user.issuerID, user.username]) != nil {
                throw StoreError(.userExists, "issuer '\(user.issuerID)' already has a user '\(user.username)'")
            }
            try db.execute(sql: """
                INSERT INTO user (issuer_id, subject, username, password_hash, display_name, email, created_at, disabled, roles)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [user.issuerID, user.subject, user.username, user.passwordHash, user.displayName, user.email,
                                 user.createdAt.timeIntervalSince1970, user.isDisabled, StringList.encode(user.roles)])
        }
    }

    /// Replaces a user's settings (password hash, names, disabled flag, roles).
    public func update(_ user: UserRecord) throws(StoreError) {
        try ProviderRecordRules.validate(user)
        try write { db in
            try db.execute(sql: """
                UPDATE user SET password_hash = ?, display_name = ?, email = ?, disabled = ?, roles = ? WHERE issuer_id = ? AND subject = ?
                """, arguments: [user.passwordHash, user.displayName, user.email, user.isDisabled, StringList.encode(user.roles),
                                 user.issuerID, user.subject])
            guard db.changesCount == 1 else { throw StoreError(.userNotFound, "issuer '\(user.issuerID)' has no user '\(user.subject)'") }
        }
    }

    /// The user signing in as `username` at issuer `issuerID`, or `nil`.
    public func user(issuerID: String, username: String) throws(StoreError) -> UserRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM user WHERE issuer_id = ? AND username = ?",
                             arguments: [issuerID, username]).map(Self.user(from:))
        }
    }

    /// The user with subject `subject` at issuer `issuerID`, or `nil`.
    public func user(issuerID: String, subject: String) throws(StoreError) -> UserRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM user WHERE issuer_id = ? AND subject = ?",
                             arguments: [issuerID, subject]).map(Self.user(from:))
        }
    }

    /// Every user of an issuer, by username.
    public func users(issuerID: String) throws(StoreError) -> [UserRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM user WHERE issuer_id = ? ORDER BY username", arguments: [issuerID])
                .map(Self.user(from:))
        }
    }

    static func user(from row: Row) -> UserRecord {
        UserRecord(issuerID: row["issuer_id"], subject: row["subject"], username: row["username"],
                   passwordHash: row["password_hash"], displayName: row["display_name"], email: row["email"],
                   createdAt: Date(timeIntervalSince1970: row["created_at"]), isDisabled: row["disabled"],
                   roles: StringList.decode(row["roles"]))
    }

    // MARK: Resources

    /// Registers (or replaces, server clients included) a resource of an issuer. Every server
    /// client must be a confidential client of the same issuer (looked up by exact bytes inside the
    /// write transaction), each named once; otherwise ``StoreErrorCode/invalidResource``.
    public func upsert(_ resource: ResourceRecord) throws(StoreError) {
        try ProviderRecordRules.validate(resource)
        try write { db in
            for clientID in resource.serverClients {
                // `=` on TEXT compares bytes (SQLite's BINARY collation): no case folding, no normalization.
                let method = try String.fetchOne(db, sql: "SELECT auth_method FROM client WHERE issuer_id = ? AND client_id = ?",
                                                 arguments: [resource.issuerID, clientID])
                try ProviderRecordRules.checkServerClient(clientID, method: method, of: resource)
            }
            try db.execute(sql: """
                INSERT INTO resource (issuer_id, audience, scopes, roles, server_clients) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(issuer_id, audience) DO UPDATE SET scopes = excluded.scopes, roles = excluded.roles,
                    server_clients = excluded.server_clients
                """, arguments: [resource.issuerID, resource.audience, StringList.encode(resource.scopes),
                                 StringList.encode(resource.roles), StringList.encode(resource.serverClients)])
        }
    }

    /// Every resource of an issuer.
    public func resources(issuerID: String) throws(StoreError) -> [ResourceRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM resource WHERE issuer_id = ? ORDER BY audience", arguments: [issuerID])
                .map(Self.resource(from:))
        }
    }

    /// The resource `audience` of issuer `issuerID` (exact bytes), or `nil`.
    public func resource(issuerID: String, audience: String) throws(StoreError) -> ResourceRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM resource WHERE issuer_id = ? AND audience = ?", arguments: [issuerID, audience])
                .map(Self.resource(from:))
        }
    }

    static func resource(from row: Row) -> ResourceRecord {
        ResourceRecord(issuerID: row["issuer_id"], audience: row["audience"], scopes: StringList.decode(row["scopes"]),
                       roles: StringList.decode(row["roles"]), serverClients: StringList.decode(row["server_clients"]))
    }
}

/// A list of strings stored as a JSON array in one column.
enum StringList {
    static func encode(_ list: [String]) -> String {
        JSONWriter().string(.array(list.map(JSONValue.string)))
    }

    static func decode(_ text: String) -> [String] {
        guard case .array(let values)? = try? StrictJSONParser.parse(Array(text.utf8)) else { return [] }
        return values.compactMap(\.stringValue)
    }
}

extension SQLiteProviderStore {
    /// Issuer `issuerID`'s directory version (the v7 migration's triggers count the changes).
    public func directoryVersion(issuerID: String) throws(StoreError) -> Int64 {
        try read { db in try Self.directoryVersion(db, issuerID: issuerID) }
    }

    static func directoryVersion(_ db: Database, issuerID: String) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM directory_version WHERE issuer_id = ?"), arguments: [issuerID]) ?? 0
    }
}
