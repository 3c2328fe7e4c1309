import Foundation
import KeyboundStore

/// What the key store says about issuers and keys, read once per hunt (public facts only: no
/// key-encryption key is needed, no private key is opened).
public struct HuntKeyDirectory: Sendable {
    /// Every issuer, by id.
    public let issuers: [IssuerRecord]
    /// Every key of every issuer, in every state.
    public let keys: [KeyRecord]
    /// Every key event, oldest first.
    public let events: [KeyEvent]

    private let issuerByURL: [String: IssuerRecord]
    private let keysByID: [String: [KeyRecord]]

    /// Reads `store` in one read transaction.
    public init(store: any KeyStore) async throws(HuntError) {
        do {
            let read: ([IssuerRecord], [KeyRecord], [KeyEvent]) = try await store.read { session in
                var events: [KeyEvent] = []
                while true {
                    let page = try await session.events(after: events.last?.sequence ?? 0, limit: 1_000)
                    events += page
                    if page.count < 1_000 { break }
                }
                return (try await session.issuers(), try await session.keys(issuerID: nil), events)
            }
            self.init(issuers: read.0, keys: read.1, events: read.2)
        } catch {
            throw HuntError(.keyStoreUnavailable, "cannot read the key store: \(error)")
        }
    }

    /// A directory of the records given (tests).
    public init(issuers: [IssuerRecord], keys: [KeyRecord], events: [KeyEvent]) {
        self.issuers = issuers
        self.keys = keys
        self.events = events
        issuerByURL = Dictionary(issuers.map { ($0.url, $0) }, uniquingKeysWith: { first, _ in first })
        keysByID = Dictionary(grouping: keys, by: \.keyID)
    }

    /// The issuer whose URL is exactly `url` (a token's `iss`).
    public func issuer(url: String) -> IssuerRecord? { issuerByURL[url] }

    /// The issuer with id `id`.
    public func issuer(id: String) -> IssuerRecord? { issuers.first { $0.id == id } }

    /// The key (`issuerID`, `keyID`).
    public func key(issuerID: String, keyID: String) -> KeyRecord? {
        keysByID[keyID]?.first { $0.issuerID == issuerID }
    }

    /// Every key with this kid, whatever its issuer (a kid names a key only together with its
    /// issuer; the hunt uses this to say whose key a cross-issuer token really used).
    public func keys(keyID: String) -> [KeyRecord] { keysByID[keyID] ?? [] }
}
