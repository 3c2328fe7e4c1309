import Foundation

/// The operations the lifecycle needs from storage, inside one transaction.
///
/// Storage knows rows, not rules: every invariant is enforced by ``KeyManager`` above it, so a
/// second backend (PostgreSQL) implements only this protocol.
public protocol KeyStoreSession {
    /// All issuers, by id.
    func issuers() throws -> [IssuerRecord]
    /// One issuer, or `nil`.
    func issuer(id: String) throws -> IssuerRecord?
    /// Stores a new issuer.
    func insert(_ issuer: IssuerRecord) throws
    /// The keys of one issuer (or all, for `nil`), oldest first.
    func keys(issuerID: String?) throws -> [KeyRecord]
    /// The key (issuer, kid), or `nil`.
    func key(issuerID: String, keyID: String) throws -> KeyRecord?
    /// Stores a new key.
    func insert(_ key: KeyRecord) throws
    /// Replaces a stored key's fields (never its issuer or kid).
    func update(_ key: KeyRecord) throws
    /// Appends an event and returns its sequence number.
    @discardableResult
    func appendEvent(issuerID: String, keyID: String, kind: KeyEvent.Kind, at: Date, actor: String, reason: String) throws -> Int64
    /// Events after `sequence`, oldest first, at most `limit`.
    func events(after sequence: Int64, limit: Int) throws -> [KeyEvent]
    /// The event with the highest sequence number.
    func latestEvent() throws -> KeyEvent?
    /// A value kept in the store's metadata table (for example the KEK fingerprint).
    func metadata(_ name: String) throws -> String?
    /// Stores a metadata value.
    func setMetadata(_ name: String, _ value: String) throws
}

/// A transactional store of issuers, keys and key events.
public protocol KeyStore: Sendable {
    /// Runs `body` in a read transaction.
    func read<T>(_ body: (any KeyStoreSession) throws -> T) throws -> T
    /// Runs `body` in one exclusive write transaction: all of it commits, or none of it does.
    func write<T>(_ body: (any KeyStoreSession) throws -> T) throws -> T
    /// How many write transactions this instance has committed: a change signal for caches in
    /// this process that costs no database read. (Other processes' writes need a read to see.)
    var localWriteCount: Int { get }
    /// Told after every write transaction this instance committed (in this process only): the
    /// in-process wake-up of key-event streams. Other processes' writes need a poll to be seen.
    var commits: StoreObservers<Void> { get }
}
