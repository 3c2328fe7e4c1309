import Foundation

/// The operations the lifecycle needs from storage, inside one transaction.
///
/// Storage knows rows, not rules: every invariant is enforced by ``KeyManager`` above it, so each
/// backend (SQLite, PostgreSQL) implements only this protocol. Every operation is async: a
/// PostgreSQL session awaits the network, and an SQLite session hops onto its database's queue.
public protocol KeyStoreSession {
    /// All issuers, by id.
    func issuers() async throws -> [IssuerRecord]
    /// One issuer, or `nil`.
    func issuer(id: String) async throws -> IssuerRecord?
    /// Stores a new issuer.
    func insert(_ issuer: IssuerRecord) async throws
    /// The keys of one issuer (or all, for `nil`), oldest first.
    func keys(issuerID: String?) async throws -> [KeyRecord]
    /// The key (issuer, kid), or `nil`.
    func key(issuerID: String, keyID: String) async throws -> KeyRecord?
    /// Stores a new key.
    func insert(_ key: KeyRecord) async throws
    /// Replaces a stored key's fields (never its issuer, kid or purpose).
    func update(_ key: KeyRecord) async throws
    /// Appends an event and returns its sequence number.
    @discardableResult
    func appendEvent(issuerID: String, keyID: String, kind: KeyEvent.Kind, at: Date, actor: String, reason: String) async throws -> Int64
    /// Events after `sequence`, oldest first, at most `limit`.
    func events(after sequence: Int64, limit: Int) async throws -> [KeyEvent]
    /// The event with the highest sequence number.
    func latestEvent() async throws -> KeyEvent?
    /// A value kept in the store's metadata table (for example the KEK fingerprint).
    func metadata(_ name: String) async throws -> String?
    /// Stores a metadata value.
    func setMetadata(_ name: String, _ value: String) async throws
}

/// A transactional store of issuers, keys and key events.
///
/// A session is valid only inside the `body` it is passed to. Write transactions are serialised,
/// in this process and across processes and nodes, so a transaction that re-reads the state and
/// then changes it never interleaves with another writer.
public protocol KeyStore: Sendable {
    /// Runs `body` in one read transaction: every read in it sees the same committed state.
    func read<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T
    /// Runs `body` in one exclusive write transaction: all of it commits, or none of it does.
    func write<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T
    /// How many write transactions this instance has committed: a change signal for caches in
    /// this process that costs no database read. (Other processes' writes need a read to see.)
    var localWriteCount: Int { get }
    /// Told after every write transaction this instance committed (in this process only): the
    /// in-process wake-up of key-event streams. Other processes' writes need a poll to be seen.
    var commits: StoreObservers<Void> { get }
}
