import Foundation
import KeyboundStore
import Synchronization

/// Clients and resources read on every token request, cached for at most `lifetime` seconds.
/// Changes made through this process's admin API call ``invalidate()`` and are seen at once;
/// changes by another process are seen within `lifetime`.
public final class DirectoryCache: Sendable {
    private struct Entry<Value> {
        let value: Value
        let readAt: Date
    }

    private struct State {
        var clients: [String: Entry<ClientRecord?>] = [:]
        var resources: [String: Entry<[ResourceRecord]>] = [:]
    }

    let store: ProviderStore
    /// How long an entry is trusted.
    public let lifetime: TimeInterval
    private let state = Mutex(State())
    /// Bounds memory under a flood of unknown client ids.
    private static let maximumClients = 10_000

    init(store: ProviderStore, lifetime: TimeInterval = 1) {
        self.store = store
        self.lifetime = lifetime
    }

    /// Forgets everything.
    public func invalidate() {
        state.withLock { $0 = State() }
    }

    func client(issuerID: String, clientID: String) throws(StoreError) -> ClientRecord? {
        let key = issuerID + "\u{0}" + clientID
        let now = Date()
        if let entry = state.withLock({ $0.clients[key] }), now.timeIntervalSince(entry.readAt) < lifetime { return entry.value }
        let client = try store.client(issuerID: issuerID, clientID: clientID)
        state.withLock { state in
            if state.clients.count >= Self.maximumClients { state.clients.removeAll(keepingCapacity: true) }
            state.clients[key] = Entry(value: client, readAt: now)
        }
        return client
    }

    func resources(issuerID: String) throws(StoreError) -> [ResourceRecord] {
        let now = Date()
        if let entry = state.withLock({ $0.resources[issuerID] }), now.timeIntervalSince(entry.readAt) < lifetime { return entry.value }
        let resources = try store.resources(issuerID: issuerID)
        state.withLock { $0.resources[issuerID] = Entry(value: resources, readAt: now) }
        return resources
    }
}
