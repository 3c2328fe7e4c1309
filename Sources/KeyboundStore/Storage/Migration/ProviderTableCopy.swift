import Foundation
internal import GRDB
internal import PostgresNIO
import Logging

/// One provider-store table as `keybound migrate` copies it, row by row, from the SQLite file to
/// PostgreSQL: the same column names (the SQLite `user` table is `app_user` there), with each
/// column's type so a row binds exactly as the PostgreSQL schema declares it.
struct ProviderTableCopy: Sendable {
    enum Kind: Sendable {
        case text, optionalText, real, optionalReal, integer, boolean
    }

    let source: String
    let target: String
    let columns: [(name: String, kind: Kind)]
    /// Rows the source keeps that PostgreSQL cannot hold (a `WHERE` clause for those kept).
    let keep: String?

    init(_ source: String, as target: String? = nil, keep: String? = nil, _ columns: [(String, Kind)]) {
        self.source = source
        self.target = target ?? source
        self.keep = keep
        self.columns = columns.map { (name: $0.0, kind: $0.1) }
    }

    /// Every provider table, in an order in which nothing depends on a later one.
    static let all: [ProviderTableCopy] = [
        ProviderTableCopy("client", [
            ("issuer_id", .text), ("client_id", .text), ("name", .text), ("auth_method", .text), ("secret_hash", .optionalText),
            ("jwks", .optionalText), ("redirect_uris", .text), ("grant_types", .text), ("roles", .text), ("first_party", .boolean),
            ("created_at", .real), ("disabled", .boolean), ("id_token_signed_response_alg", .optionalText)]),
        ProviderTableCopy("user", as: "app_user", [
            ("issuer_id", .text), ("subject", .text), ("username", .text), ("password_hash", .text), ("display_name", .text),
            ("email", .optionalText), ("created_at", .real), ("disabled", .boolean), ("roles", .text)]),
        ProviderTableCopy("resource", [
            ("issuer_id", .text), ("audience", .text), ("scopes", .text), ("roles", .text), ("server_clients", .text)]),
        ProviderTableCopy("authorization_code", [
            ("issuer_id", .text), ("code_hash", .text), ("client_id", .text), ("subject", .text), ("redirect_uri", .text),
            ("scope", .text), ("resource", .optionalText), ("code_challenge", .text), ("nonce", .optionalText), ("session_id", .text),
            ("auth_time", .real), ("expires_at", .real), ("used_at", .optionalReal), ("chain_id", .optionalText)]),
        ProviderTableCopy("refresh_token", [
            ("issuer_id", .text), ("token_hash", .text), ("token_id", .text), ("client_id", .text), ("subject", .text),
            ("scope", .text), ("resource", .optionalText), ("chain_id", .text), ("parent_token_id", .optionalText),
            ("session_id", .optionalText), ("auth_time", .optionalReal), ("issued_at", .real), ("expires_at", .real),
            ("spent_at", .optionalReal), ("revoked_at", .optionalReal), ("revocation_reason", .optionalText)]),
        ProviderTableCopy("issuance", [
            ("sequence", .integer), ("issuer_id", .text), ("jti", .text), ("kid", .optionalText), ("kind", .text),
            ("subject", .text), ("client_id", .text), ("audience", .text), ("scope", .text), ("roles", .text),
            ("tenant_id", .optionalText), ("issued_at", .real), ("expires_at", .real), ("parent_jti", .optionalText),
            ("session_id", .optionalText), ("chain_id", .optionalText), ("grant_type", .text), ("claims_digest", .text)]),
        // A revocation written before the file named issuers, of a token the ledger never held,
        // names no issuer: it concerns no token of any issuer and stays behind.
        ProviderTableCopy("token_revocation", keep: "issuer_id IS NOT NULL", [
            ("issuer_id", .text), ("jti", .text), ("revoked_at", .real), ("reason", .text)]),
        ProviderTableCopy("chain_revocation", keep: "issuer_id IS NOT NULL", [
            ("issuer_id", .text), ("chain_id", .text), ("revoked_at", .real), ("reason", .text)]),
        ProviderTableCopy("client_assertion", [
            ("issuer_id", .text), ("client_id", .text), ("jti", .text), ("expires_at", .real)]),
        ProviderTableCopy("token_event", [
            ("issuer_id", .text), ("sequence", .integer), ("jti", .text), ("audience", .text), ("expires_at", .real),
            ("reason", .text), ("at", .real), ("claims_digest", .optionalText)]),
        // The hash chain is copied as it is: the same numbers, hashes and fields, so it verifies there.
        ProviderTableCopy("admin_log", [
            ("sequence", .integer), ("at", .real), ("actor_issuer", .text), ("actor_subject", .text), ("action", .text),
            ("issuer_id", .optionalText), ("target", .text), ("reason", .text), ("outcome", .text), ("previous_hash", .text),
            ("hash", .text)]),
    ]

    private var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// The source's rows: those copied and how many stay behind.
    func read(_ db: Database) throws -> (rows: [Row], leftBehind: Int) {
        let table = "\"\(source)\""
        let rows = try Row.fetchAll(db, sql: "SELECT \(columnList) FROM \(table)\(keep.map { " WHERE \($0)" } ?? "") ORDER BY rowid")
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? rows.count
        return (rows, total - rows.count)
    }

    /// Inserts `rows` into the target table on `connection`.
    func write(_ rows: [Row], _ connection: PostgresConnection, logger: Logger) async throws {
        let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
        let sql = "INSERT INTO \(target) (\(columnList)) VALUES (\(placeholders))"
        for row in rows {
            var binds = PostgresBindings(capacity: columns.count)
            for (index, column) in columns.enumerated() {
                switch column.kind {
                case .text: binds.append(row[index] as String)
                case .optionalText: binds.append(row[index] as String?)
                case .real: binds.append(row[index] as Double)
                case .optionalReal: binds.append(row[index] as Double?)
                case .integer: binds.append(row[index] as Int64)
                case .boolean: binds.append(row[index] as Bool)
                }
            }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    /// The target table's row count.
    func count(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        Int(try await connection.single(Int64.self, PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(target)"), logger: logger) ?? 0)
    }
}
