import Foundation
import Hummingbird
import KeyboundAudit
import KeyboundResourceKit

/// Keybound Files: a drive per user, behind the resource kit's guard. The whole resource is this
/// module: its names (``FilesAPI``), its store (``FileStore``), its routes, and this conformance.
public struct FilesService: ProtectedResource {
    /// Keybound Files to the kit: audience `api://files`, realm `keybound-files`.
    public static let resource = ResourceDescription(name: "Keybound Files", metricsName: "files", audience: FilesAPI.audience,
                                                     realm: FilesAPI.realm, scopes: [FilesAPI.readScope, FilesAPI.writeScope],
                                                     tenantRoles: [FilesAPI.readAllRole], classify: FilesAPI.classify)
    /// The drives.
    public let store: FileStore
    /// The issuers whose tokens are accepted (each still only under its own keys).
    public let issuers: Set<String>
    /// Authentication and auditing around the routes.
    public let resourceGuard: ResourceGuard
    /// The largest file, in bytes.
    public var maximumFileBytes = 1 << 20
    /// The most files one drive holds.
    public var maximumFiles = 1_000
    let now: @Sendable () -> Date

    /// A service over `store`, guarded by `resourceGuard` (whose description must be ``resource``).
    public init(store: FileStore, issuers: Set<String>, resourceGuard: ResourceGuard, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.issuers = issuers
        self.resourceGuard = resourceGuard
        self.now = now
    }

    /// Opens `files.sqlite` in the data directory (or the files table in PostgreSQL) and guards
    /// the routes with `environment`'s audit log and trust.
    public static func open(_ environment: ResourceEnvironment) async throws -> FilesService {
        let store = try await environment.storage.open(resource.name, sqlite: FileStore.init(directory:), postgres: FileStore.open(database:))
        return FilesService(store: store, issuers: environment.issuers, resourceGuard: try environment.guardFor(resource), now: environment.now)
    }

    /// Adds the routes, behind ``resourceGuard``, to `router`.
    public func register(on router: Router<ResourceRequestContext>) {
        FilesRoutes(service: self).register(on: resourceGuard.protect(router))
    }
}
