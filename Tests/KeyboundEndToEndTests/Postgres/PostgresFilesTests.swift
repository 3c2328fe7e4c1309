import Foundation
import KeyboundFiles
import KeyboundPostgres
@testable import KeyboundStore
import KeyboundTesting
import Testing

/// Keybound Files on PostgreSQL: two nodes (two stores over one database) writing one drive.
@Suite("PostgreSQL: Keybound Files' drives", .timeLimit(.minutes(10)))
struct PostgresFilesTests {
    static func file(_ issuer: String, _ name: String, _ content: [UInt8]) -> DriveFile {
        DriveFile(issuer: issuer, tenantID: "tid", owner: "alice", name: name, contentType: "application/octet-stream",
                  content: content, modifiedAt: Date())
    }

    @Test("two nodes writing one drive at once never pass its file limit; the same subject at two issuers is two drives; bytes round-trip")
    func twoNodesOneDrive() async throws {
        let database = try await TestPostgres.shared.makeDatabase("files")
        try await database.withRunning { backend in
            try await KeyboundPostgresSchema.migrate(backend)
            let nodeA = try await FileStore.open(database: backend), nodeB = try await FileStore.open(database: backend)
            let contoso = "https://id.test/contoso", fabrikam = "https://id.test/fabrikam"
            let results = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    let node = index.isMultiple(of: 2) ? nodeA : nodeB
                    group.addTask { (try? await node.write(Self.file(contoso, "f\(index)", [UInt8(index)]), maximumFiles: 5)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 5, "exactly the limit was written")
            let owner = DriveOwner(issuer: contoso, tenantID: "tid", subject: "alice")
            #expect(try await nodeB.files(of: owner).count == 5)
            do {
                _ = try await nodeA.write(Self.file(contoso, "one-more", [1]), maximumFiles: 5)
                Issue.record("a sixth file was written")
            } catch {
                #expect((error as? FileStoreError)?.code == .driveFull)
            }
            // Replacing a file in a full drive is allowed, and every byte value survives.
            let name = try #require(try await nodeA.files(of: owner).first?.name)
            let bytes = (0...255).map(UInt8.init)
            #expect(try await nodeB.write(Self.file(contoso, name, bytes), maximumFiles: 5) == false)
            #expect(try await nodeA.file(name, of: owner)?.content == bytes)
            // fabrikam's alice has her own, empty drive.
            #expect(try await nodeA.files(of: DriveOwner(issuer: fabrikam, tenantID: "tid", subject: "alice")).isEmpty)
            #expect(try await nodeA.file(name, of: DriveOwner(issuer: fabrikam, tenantID: "tid", subject: "alice")) == nil)
        }
    }

    @Test("a database the key store never migrated is refused with the schema version it needs")
    func unmigratedRefused() async throws {
        let database = try await TestPostgres.shared.makeDatabase("files_bare")
        try await database.withRunning { backend in
            do {
                _ = try await FileStore.open(database: backend)
                Issue.record("opened a database without the files table")
            } catch {
                #expect((error as? FileStoreError)?.message.contains("schema version 9") == true)
            }
        }
    }
}
