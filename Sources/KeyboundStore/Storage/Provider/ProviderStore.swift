import Foundation

/// Everything the provider keeps besides keys: its directory (clients, users, resources), the
/// grants it hands out (codes, refresh tokens, revocations, token events), the issuance ledger and
/// the recent security alerts.
///
/// Two backends implement it: ``SQLiteProviderStore`` (one file next to the key store, the embedded
/// default) and `PostgresProviderStore` (shared by every node). Every identifier is looked up
/// as (issuer, value) by exact bytes: no call reaches another issuer's rows.
///
/// Storage knows rows, not rules. The few checks that protect the rows themselves (a client's
/// settings, a resource's server clients) run before either backend writes, through
/// ``ProviderRecordRules``.
public protocol ProviderStore: ProviderDirectory, GrantStore, IssuanceLedgerStore, AlertLogStore, AdminLogStore {
    /// Reads from the database: throws when it cannot be read (readiness checks). Cheap.
    func probe() async throws(StoreError)
    /// Whether other nodes serve requests from the same rows at the same time (PostgreSQL). A
    /// change made on one node then takes effect on every node for the next request, so nothing
    /// read from the directory may be cached across requests.
    var isSharedByNodes: Bool { get }
}

extension ProviderStore {
    /// Not shared, unless the backend says so.
    public var isSharedByNodes: Bool { false }
}
