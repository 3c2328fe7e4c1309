import Foundation
import Keybound
import KeyboundStore
import Synchronization

/// Clients and resources read on every token request, cached for at most `lifetime` seconds.
/// Changes made through this process's admin API call ``invalidate()`` and are seen at once;
/// changes by another process are seen within `lifetime`.
///
/// On a store shared by nodes `lifetime` is 0 (every read goes to the database), with one
/// exception: copies of an issuer's directory tagged with its version (`copiedClient(issuerID:clientID:)`,
/// `copiedResources(issuerID:)`), for a request whose ledger commit checks that version and is
/// refused if the directory changed since (`IssuanceEntry/directoryVersion`).
/// A change on any node is announced (`directory <issuer>`) and drops the issuer's copy here.
public final class DirectoryCache: Sendable {
    private struct Entry<Value> {
        let value: Value
        let readAt: Date
    }

    private struct State {
        /// Keyed by (issuer, client) id by exact bytes: canonically equivalent ids are different ids.
        var clients: [ClientKey: Entry<ClientRecord?>] = [:]
        var resources: [ExactString: Entry<[ResourceRecord]>] = [:]
        /// Per issuer, a copy of part of its directory at one version.
        var copies: [ExactString: DirectoryCopy] = [:]
    }

    /// What was read of one issuer's directory at one version.
    private struct DirectoryCopy {
        let version: Int64
        let readAt: Date
        var clients: [ExactString: ClientRecord?] = [:]
        var resources: [ResourceRecord]?
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

    /// Forgets issuer `issuerID`'s copy (its directory changed on some node).
    public func invalidate(issuerID: String) {
        _ = state.withLock { $0.copies.removeValue(forKey: ExactString(issuerID)) }
    }

    /// Copies are dropped after this long even without a change notice (hygiene: a commit that
    /// checks the version is what keeps them correct).
    static let copyLifetime: TimeInterval = 60

    /// Client `clientID` of issuer `issuerID` from a copy of the issuer's directory, and the
    /// copy's version; only for a request whose ledger commit checks that version.
    func copiedClient(issuerID: String, clientID: String) async throws(StoreError) -> (client: ClientRecord?, version: Int64) {
        let issuer = ExactString(issuerID), id = ExactString(clientID)
        if let copy = freshCopy(issuer), let client = copy.clients[id] { return (client, copy.version) }
        // The version first: a change between the two reads shows as a newer version at the commit.
        let version = try await store.directoryVersion(issuerID: issuerID)
        let client = try await store.client(issuerID: issuerID, clientID: clientID)
        keep(issuer, version: version) { copy in
            if copy.clients.count >= Self.maximumClients { copy.clients.removeAll(keepingCapacity: true) }
            copy.clients[id] = client
        }
        return (client, version)
    }

    /// Issuer `issuerID`'s resources from a copy of its directory, and the copy's version; only
    /// for a request whose ledger commit checks that version.
    func copiedResources(issuerID: String) async throws(StoreError) -> (resources: [ResourceRecord], version: Int64) {
        let issuer = ExactString(issuerID)
        if let copy = freshCopy(issuer), let resources = copy.resources { return (resources, copy.version) }
        let version = try await store.directoryVersion(issuerID: issuerID)
        let resources = try await store.resources(issuerID: issuerID)
        keep(issuer, version: version) { $0.resources = resources }
        return (resources, version)
    }

    private func freshCopy(_ issuer: ExactString) -> DirectoryCopy? {
        state.withLock { state in
            guard let copy = state.copies[issuer], Date().timeIntervalSince(copy.readAt) < Self.copyLifetime else { return nil }
            return copy
        }
    }

    /// Adds what was read at `version` to the issuer's copy: a copy of an older version is
    /// replaced, a newer one is left as it is.
    private func keep(_ issuer: ExactString, version: Int64, _ add: (inout DirectoryCopy) -> Void) {
        state.withLock { state in
            var copy = state.copies[issuer] ?? DirectoryCopy(version: version, readAt: Date())
            if copy.version < version || Date().timeIntervalSince(copy.readAt) >= Self.copyLifetime {
                copy = DirectoryCopy(version: version, readAt: Date())
            }
            guard copy.version == version else { return }
            add(&copy)
            if state.copies[issuer] == nil, state.copies.count >= Self.maximumClients { state.copies.removeAll(keepingCapacity: true) }
            state.copies[issuer] = copy
        }
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
