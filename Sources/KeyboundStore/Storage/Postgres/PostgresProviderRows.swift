import Foundation
import Keybound
internal import PostgresNIO

/// Rows ↔ records for ``PostgresProviderStore`` (the columns have the SQLite file's names).
enum PostgresProviderRows {
    static func client(from row: PostgresRandomAccessRow) throws -> ClientRecord {
        let clientID = try row["client_id"].decode(String.self)
        let idTokenAlgorithm = try row["id_token_signed_response_alg"].decode(String?.self).map { JWSAlgorithm(rawValue: $0) }
        guard let method = ClientRecord.AuthenticationMethod(rawValue: try row["auth_method"].decode(String.self)),
              idTokenAlgorithm != .some(nil) else {
            throw StoreError(.storage, "client row '\(clientID)' is corrupt")
        }
        var client = ClientRecord(
            issuerID: try row["issuer_id"].decode(String.self), clientID: clientID, name: try row["name"].decode(String.self),
            authenticationMethod: method, secretHash: try row["secret_hash"].decode(String?.self),
            jwks: try row["jwks"].decode(String?.self), redirectURIs: StringList.decode(try row["redirect_uris"].decode(String.self)),
            grantTypes: StringList.decode(try row["grant_types"].decode(String.self)),
            roles: StringList.decode(try row["roles"].decode(String.self)), isFirstParty: try row["first_party"].decode(Bool.self),
            createdAt: try date(row, "created_at"), isDisabled: try row["disabled"].decode(Bool.self))
        client.idTokenSignedResponseAlgorithm = idTokenAlgorithm ?? nil
        return client
    }

    static func user(from row: PostgresRandomAccessRow) throws -> UserRecord {
        UserRecord(issuerID: try row["issuer_id"].decode(String.self), subject: try row["subject"].decode(String.self),
                   username: try row["username"].decode(String.self), passwordHash: try row["password_hash"].decode(String.self),
                   displayName: try row["display_name"].decode(String.self), email: try row["email"].decode(String?.self),
                   createdAt: try date(row, "created_at"), isDisabled: try row["disabled"].decode(Bool.self),
                   roles: StringList.decode(try row["roles"].decode(String.self)))
    }

    static func resource(from row: PostgresRandomAccessRow) throws -> ResourceRecord {
        ResourceRecord(issuerID: try row["issuer_id"].decode(String.self), audience: try row["audience"].decode(String.self),
                       scopes: StringList.decode(try row["scopes"].decode(String.self)),
                       roles: StringList.decode(try row["roles"].decode(String.self)),
                       serverClients: StringList.decode(try row["server_clients"].decode(String.self)))
    }

    static func code(from row: PostgresRandomAccessRow) throws -> AuthorizationCodeRecord {
        AuthorizationCodeRecord(
            codeHash: try row["code_hash"].decode(String.self), issuerID: try row["issuer_id"].decode(String.self),
            clientID: try row["client_id"].decode(String.self), subject: try row["subject"].decode(String.self),
            redirectURI: try row["redirect_uri"].decode(String.self), scope: try row["scope"].decode(String.self),
            resource: try row["resource"].decode(String?.self), codeChallenge: try row["code_challenge"].decode(String.self),
            nonce: try row["nonce"].decode(String?.self), sessionID: try row["session_id"].decode(String.self),
            authTime: try date(row, "auth_time"), expiresAt: try date(row, "expires_at"), usedAt: try optionalDate(row, "used_at"),
            chainID: try row["chain_id"].decode(String?.self))
    }

    static func refreshToken(from row: PostgresRandomAccessRow) throws -> RefreshTokenRecord {
        RefreshTokenRecord(
            tokenHash: try row["token_hash"].decode(String.self), tokenID: try row["token_id"].decode(String.self),
            issuerID: try row["issuer_id"].decode(String.self), clientID: try row["client_id"].decode(String.self),
            subject: try row["subject"].decode(String.self), scope: try row["scope"].decode(String.self),
            resource: try row["resource"].decode(String?.self), chainID: try row["chain_id"].decode(String.self),
            parentTokenID: try row["parent_token_id"].decode(String?.self), sessionID: try row["session_id"].decode(String?.self),
            authTime: try optionalDate(row, "auth_time"), issuedAt: try date(row, "issued_at"), expiresAt: try date(row, "expires_at"),
            spentAt: try optionalDate(row, "spent_at"), revokedAt: try optionalDate(row, "revoked_at"),
            revocationReason: try row["revocation_reason"].decode(String?.self))
    }

    static func issuance(from row: PostgresRandomAccessRow) throws -> IssuanceRecord {
        let tokenID = try row["jti"].decode(String.self)
        guard let kind = IssuanceRecord.TokenKind(rawValue: try row["kind"].decode(String.self)) else {
            throw StoreError(.storage, "ledger row '\(tokenID)' is corrupt")
        }
        return IssuanceRecord(
            sequence: try row["sequence"].decode(Int64.self), issuerID: try row["issuer_id"].decode(String.self),
            keyID: try row["kid"].decode(String?.self), tokenID: tokenID, kind: kind, subject: try row["subject"].decode(String.self),
            clientID: try row["client_id"].decode(String.self), audience: StringList.decode(try row["audience"].decode(String.self)),
            scope: try row["scope"].decode(String.self), roles: StringList.decode(try row["roles"].decode(String.self)),
            tenantID: try row["tenant_id"].decode(String?.self), issuedAt: try date(row, "issued_at"),
            expiresAt: try date(row, "expires_at"), parentTokenID: try row["parent_jti"].decode(String?.self),
            sessionID: try row["session_id"].decode(String?.self), chainID: try row["chain_id"].decode(String?.self),
            grantType: try row["grant_type"].decode(String.self), claimsDigest: try row["claims_digest"].decode(String.self))
    }

    static func tokenEvent(from row: PostgresRandomAccessRow) throws -> TokenEvent {
        let sequence = try row["sequence"].decode(Int64.self)
        guard let change = TokenEvent.change(storedReason: try row["reason"].decode(String.self),
                                             claimsDigest: try row["claims_digest"].decode(String?.self)) else {
            throw StoreError(.storage, "token event \(sequence) has an unknown reason")
        }
        return TokenEvent(issuerID: try row["issuer_id"].decode(String.self), sequence: sequence, tokenID: try row["jti"].decode(String.self),
                          audience: StringList.decode(try row["audience"].decode(String.self)), expiresAt: try date(row, "expires_at"),
                          change: change, at: try date(row, "at"))
    }

    private static func date(_ row: PostgresRandomAccessRow, _ column: String) throws -> Date {
        Date(timeIntervalSince1970: try row[column].decode(Double.self))
    }

    private static func optionalDate(_ row: PostgresRandomAccessRow, _ column: String) throws -> Date? {
        try row[column].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
    }
}
