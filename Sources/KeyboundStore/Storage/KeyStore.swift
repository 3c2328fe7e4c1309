import Foundation

/// The operations the lifecycle needs from storage, inside one transaction.
///
/// Storage knows rows, not rules: every invariant is enforced by ``KeyManager`` above it, so a
/// second backend (PostgreSQL) implements only this protocol.
public protocol KeyStoreSession {
    func issuers() throws -> [IssuerRecord]
    func issuer(id: String) throws -> IssuerRecord?
    func insert(_ issuer: IssuerRecord) throws
    func keys(issuerID: String?) throws -> [KeyRecord]
    func key(issuerID: String, keyID: String) throws -> KeyRecord?
    func insert(_ key: KeyRecord) throws
    func update(_ key: KeyRecord) throws
    /// Appends an event and returns its sequence number.
    @discardableResult
    func appendEvent(issuerID: String, keyID: String, kind: KeyEvent.Kind, at: Date, actor: String, reason: String) throws -> Int64
    func events(after sequence: Int64, limit: Int) throws -> [KeyEvent]
    /// The event with the highest sequence number.
    func latestEvent() throws -> KeyEvent?
    /// A value kept in the store's metadata table (for example the KEK fingerprint).
    func metadata(_ name: String) throws -> String?
    func setMetadata(_ name: String, _ value: String) throws
}

/// A transactional store of issuers, keys and key events.
public protocol KeyStore: Sendable {
    /// Runs `body` in a read transaction.
    func read<T>(_ body: (any KeyStoreSession) throws -> T) throws -> T
    /// Runs `body` in one exclusive write transaction: all of it commits, or none of it does.
    func write<T>(_ body: (any KeyStoreSession) throws -> T) throws -> T
}
