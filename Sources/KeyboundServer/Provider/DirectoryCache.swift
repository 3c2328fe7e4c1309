import Foundation
import Keybound
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
        /// Keyed by (issuer, client) id by exact bytes: canonically equivalent ids are different ids.
        var clients: [ClientKey: Entry<ClientRecord?>] = [:]
        var resources: [ExactString: Entry<[ResourceRecord]>] = [:]
    }

    /// A client's cache key: its issuer and its id, each by exact bytes.
    private struct ClientKey: Hashable {
        let issuer: ExactString
        let client: ExactString
    }

    let store: any ProviderStore
    /// How long an entry is trusted.
    public let lifetime: TimeInterval
    private let state = Mutex(State())
    /// Bounds memory under a flood of unknown client ids.
    private static let maximumClients = 10_000

    init(store: any ProviderStore, lifetime: TimeInterval = 1) {
        self.store = store
        self.lifetime = lifetime
    }

    /// Forgets everything.
    public func invalidate() {
        state.withLock { $0 = State() }
    }

    func client(issuerID: String, clientID: String) async throws(StoreError) -> ClientRecord? {
        let key = ClientKey(issuer: ExactString(issuerID), client: ExactString(clientID))
        let now = Date()
        if let entry = state.withLock({ $0.clients[key] }), now.timeIntervalSince(entry.readAt) < lifetime { return entry.value }
        let client = try await store.client(issuerID: issuerID, clientID: clientID)
        state.withLock { state in
            if state.clients.count >= Self.maximumClients { state.clients.removeAll(keepingCapacity: true) }
            state.clients[key] = Entry(value: client, readAt: now)
        }
        return client
    }

    /// The issuer's resources for its discovery document: as ``resources(issuerID:)``, but when the
    /// store cannot be read, the last list read (however old) rather than an error, so discovery
    /// keeps serving from memory while the database is down.
    func resourcesForDiscovery(issuerID: String) async throws(StoreError) -> [ResourceRecord] {
        let read: Result<[ResourceRecord], StoreError>
        do { read = .success(try await resources(issuerID: issuerID)) } catch { read = .failure(error) }
        switch read {
        case .success(let resources):
            return resources
        case .failure(let error):
            guard error.code == .storage, let last = state.withLock({ $0.resources[ExactString(issuerID)] }) else { throw error }
            return last.value
        }
    }

    func resources(issuerID: String) async throws(StoreError) -> [ResourceRecord] {
        let now = Date()
        let key = ExactString(issuerID)
        if let entry = state.withLock({ $0.resources[key] }), now.timeIntervalSince(entry.readAt) < lifetime { return entry.value }
        let resources = try await store.resources(issuerID: issuerID)
        state.withLock { $0.resources[key] = Entry(value: resources, readAt: now) }
        return resources
    }
}
