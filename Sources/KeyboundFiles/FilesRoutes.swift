import Foundation
import Hummingbird
import Keybound
import KeyboundResourceKit
import KeyboundValidation

/// Keybound Files' routes. Each runs through `ResourceGuard/serve`: the requirement is enforced
/// and exactly one audit record is written before the answer leaves.
///
/// | Route | Who |
/// |---|---|
/// | `GET /me/drive/files` | the signed-in user (`Files.Read` or `Files.ReadWrite`) |
/// | `GET /me/drive/files/{name}` | the signed-in user (`Files.Read` or `Files.ReadWrite`) |
/// | `PUT /me/drive/files/{name}` | the signed-in user (`Files.ReadWrite`) |
/// | `GET /users/{sub}/drive/files` | an application of the same tenant (role `Files.Read.All`) |
struct FilesRoutes: Sendable {
    let service: FilesService

    func register(on group: RouterGroup<ResourceRequestContext>) {
        let issuers = service.issuers
        // The issuer set comes from a non-empty environment and the names are constants.
        let read = try! IdentityRequirement(allowedIssuers: issuers, anyOfScopes: [FilesAPI.readScope, FilesAPI.writeScope], principal: .delegated)
        let write = try! IdentityRequirement(allowedIssuers: issuers, anyOfScopes: [FilesAPI.writeScope], principal: .delegated)
        let readAll = try! IdentityRequirement(allowedIssuers: issuers, anyOfRoles: [FilesAPI.readAllRole], principal: .application)
        let resourceGuard = service.resourceGuard
        group.get("/me/drive/files") { request, context in
            try await resourceGuard.serve(request, context, operation: "files.list", requirement: read) { identity in
                let owner = try ownDrive(identity)
                let files = try await store { try await service.store.files(of: owner.owner) }
                return (listing(files), target(owner, files.map(\.name)))
            }
        }
        group.get("/me/drive/files/:name") { request, context in
            try await resourceGuard.serve(request, context, operation: "files.read", requirement: read) { identity in
                let owner = try ownDrive(identity)
                let name = try pathParameter("name", context, target(owner, []))
                guard let file = try await store({ try await service.store.file(name, of: owner.owner) }) else {
                    throw ResourceRefusal(.notFound("file_not_found", "no file '\(name)' in this drive"), target(owner, [name]))
                }
                let headers: HTTPFields = [.contentType: file.contentType, .cacheControl: "no-store", .init("X-Content-Type-Options")!: "nosniff"]
                return (Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.content))), target(owner, [name]))
            }
        }
        group.put("/me/drive/files/:name") { request, context in
            try await resourceGuard.serve(request, context, operation: "files.write", requirement: write) { identity in
                let owner = try ownDrive(identity)
                let name = try pathParameter("name", context, target(owner, []))
                let aimed = target(owner, [name])
                guard DriveFile.isValidName(name) else {
                    throw ResourceRefusal(.invalidRequest("a file name is 1 to 255 bytes without control characters"), aimed)
                }
                let body: ByteBuffer
                do { body = try await request.body.collect(upTo: service.maximumFileBytes) } catch {
                    throw ResourceRefusal(ResourceError(.contentTooLarge, error: "invalid_request", code: "request_too_large",
                                                       "a file is at most \(service.maximumFileBytes) bytes"), aimed)
                }
                let file = DriveFile(issuer: owner.owner.issuer, tenantID: owner.owner.tenantID, owner: owner.owner.subject, name: name,
                                     contentType: request.headers[.contentType] ?? "application/octet-stream",
                                     content: Array(buffer: body), modifiedAt: service.now())
                let created: Bool
                do throws(FileStoreError) { created = try await service.store.write(file, maximumFiles: service.maximumFiles) } catch where error.code == .driveFull {
                    throw ResourceRefusal(ResourceError(.conflict, error: "invalid_request", code: "drive_full", error.message), aimed)
                } catch {
                    throw storeFailure(error)
                }
                let entry = DriveEntry(name: name, contentType: file.contentType, size: file.content.count, modifiedAt: file.modifiedAt)
                return (json(created ? .created : .ok, Self.object(entry)), aimed)
            }
        }
        group.get("/users/:user/drive/files") { request, context in
            try await resourceGuard.serve(request, context, operation: "files.list", requirement: readAll) { identity in
                // The drive is the user's in the application's own (issuer, tenant): never another tenant's.
                let tenant = try servedTenant(identity)
                let owner = Drive(tenant: tenant, subject: try pathParameter("user", context, ResourceTarget(tenant: tenant)))
                let files = try await store { try await service.store.files(of: owner.owner) }
                return (listing(files), target(owner, files.map(\.name)))
            }
        }
    }

    /// A path parameter, percent-decoded (as the audit record's `classify` reads it); a segment
    /// that does not decode to UTF-8 is refused, 400.
    private func pathParameter(_ name: String, _ context: ResourceRequestContext, _ target: ResourceTarget) throws -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding, !value.isEmpty else {
            throw ResourceRefusal(.invalidRequest("the '\(name)' path segment is not valid percent-encoded UTF-8"), target)
        }
        return value
    }

    /// The tenant a verified token speaks in, if Keybound Files serves it (an enterprise tenant or
    /// a consumer realm).
    private func servedTenant(_ identity: KeyboundIdentity) throws -> Tenant {
        guard let tenant = identity.tenant, tenant.kind == .tenant || tenant.kind == .consumer else {
            throw ResourceRefusal(.accessDenied("tenant_not_served", "Keybound Files serves enterprise tenants and consumer realms; this token names neither"),
                                  ResourceTarget(tenant: identity.tenant))
        }
        return tenant
    }

    /// The signed-in user's drive: (the token's issuer, its tenant, its `sub`).
    private func ownDrive(_ identity: KeyboundIdentity) throws -> Drive {
        let tenant = try servedTenant(identity)
        guard let subject = identity.subject else {
            throw ResourceRefusal(.accessDenied("drive_not_found", "the token names no user (sub)"), ResourceTarget(tenant: tenant))
        }
        return Drive(tenant: tenant, subject: subject)
    }

    private func target(_ drive: Drive, _ items: [String]) -> ResourceTarget {
        ResourceTarget(tenant: drive.tenant, resource: FilesAPI.drive(drive.owner.subject), items: items)
    }

    private func listing(_ files: [DriveEntry]) -> Response {
        json(.ok, JSONObject(["value": .array(files.map { .object(Self.object($0)) })]))
    }

    private static func object(_ entry: DriveEntry) -> JSONObject {
        JSONObject(["name": .string(entry.name), "content_type": .string(entry.contentType), "size": .number(Double(entry.size)),
                    "modified_at": .number((entry.modifiedAt.timeIntervalSince1970 * 1_000).rounded() / 1_000)])
    }

    private func json(_ status: HTTPResponse.Status, _ object: JSONObject) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter().bytes(.object(object)))))
    }

    /// Runs a store call; a storage failure is a 503 with no details beyond the log.
    private func store<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as FileStoreError { throw storeFailure(error) }
    }

    private func storeFailure(_ error: FileStoreError) -> ResourceError {
        ResourceError(.serviceUnavailable, error: "temporarily_unavailable", code: "files_store_unavailable", "the files store could not be read or written")
    }
}

/// A drive addressed by a verified token: the tenant it was verified in, and its owner there.
private struct Drive {
    let tenant: Tenant
    let owner: DriveOwner

    init(tenant: Tenant, subject: String) {
        self.tenant = tenant
        owner = DriveOwner(issuer: tenant.issuer, tenantID: tenant.tenantID, subject: subject)
    }
}
