import Foundation
internal import GRDB

/// What one pruning pass deleted.
public struct PruneReport: Sendable, Equatable {
    /// Authorization codes deleted.
    public var authorizationCodes = 0
    /// `private_key_jwt` assertion ids (the replay cache) deleted.
    public var clientAssertions = 0
    /// Refresh-token rows deleted (whole dead chains only).
    public var refreshTokens = 0

    /// An empty report.
    public init() {}

    /// How long past its expiry a row is kept before pruning may delete it: one hour. It covers
    /// any clock skew allowed on a client assertion's `exp` and a clock stepped back a little.
    public static let defaultMargin: TimeInterval = 3_600

    /// How long past its expiry a redeemed code is kept at least: one day, the longest an access
    /// token can live, so a replay within that time still revokes the tokens the code produced.
    public static let redeemedCodeRetention: TimeInterval = 86_400

    /// Rows deleted in all.
    public var total: Int { authorizationCodes + clientAssertions + refreshTokens }
}

extension SQLiteProviderStore {
    /// Deletes what can no longer matter, as of `now` (docs/provider.md, "Pruning"):
    ///
    /// - **Client assertion ids** whose assertion expired more than `margin` ago: an expired assertion
    ///   is refused whatever its `jti`, so its replay-cache entry has done its job.
    /// - **Authorization codes**: an unused one that expired more than `margin` ago; a redeemed one
    ///   that expired more than ``PruneReport/redeemedCodeRetention`` (and `margin`) ago and whose refresh chain
    ///   has no live token left (or was revoked): a replay of a redeemed code must still revoke what
    ///   it produced (RFC 6749 §4.1.2), so it is kept while any of that can still be used.
    /// - **Refresh tokens**, a whole chain at a time, and only once the chain is dead: every token of
    ///   it expired more than `margin` ago, or the chain was revoked more than `margin` ago. A spent
    ///   token of a live chain is kept, because presenting it again is how reuse is detected (and its
    ///   chain revoked); the chain's first token is kept too, because it dates the chain, whose
    ///   lifetime is capped. An expired token is refused before the reuse check, so once the whole
    ///   chain is expired no row of it can detect anything.
    ///
    /// Never deleted: the issuance ledger, token and chain revocations (append-only, by trigger).
    @discardableResult
    public func prune(now: Date, margin: TimeInterval) throws(StoreError) -> PruneReport {
        let cutoff = now.timeIntervalSince1970 - max(0, margin)
        let current = now.timeIntervalSince1970
        return try write { db in
            var report = PruneReport()
            try db.execute(sql: "DELETE FROM client_assertion WHERE expires_at <= ?", arguments: [cutoff])
            report.clientAssertions = db.changesCount
            try db.execute(sql: """
                DELETE FROM authorization_code
                WHERE (used_at IS NULL AND expires_at <= :cutoff)
                   OR (used_at IS NOT NULL AND expires_at <= :usedCutoff
                  AND (chain_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM refresh_token r
                        WHERE r.chain_id = authorization_code.chain_id AND r.revoked_at IS NULL AND r.expires_at > :now)
                      OR EXISTS (SELECT 1 FROM chain_revocation c WHERE c.chain_id = authorization_code.chain_id)))
                """, arguments: ["cutoff": cutoff, "usedCutoff": min(cutoff, current - PruneReport.redeemedCodeRetention), "now": current])
            report.authorizationCodes = db.changesCount
            try db.execute(sql: """
                DELETE FROM refresh_token WHERE chain_id IN (
                    SELECT chain_id FROM refresh_token GROUP BY chain_id HAVING MAX(expires_at) <= :cutoff
                    UNION
                    SELECT chain_id FROM chain_revocation WHERE revoked_at <= :cutoff)
                """, arguments: ["cutoff": cutoff])
            report.refreshTokens = db.changesCount
            return report
        }
    }

    /// Registers the migration that lets pruning delete dead refresh chains (v1's trigger refused
    /// every delete of a refresh-token row; pruning is now the only code that deletes them).
    static func registerPruningMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3: refresh tokens of dead chains may be pruned") { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS refresh_token_no_delete")
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS client_assertion_expiry ON client_assertion(expires_at)")
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS authorization_code_expiry ON authorization_code(expires_at)")
        }
    }
}
