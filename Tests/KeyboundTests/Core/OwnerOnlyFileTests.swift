import Foundation
import Testing
import Keybound

/// The one way Keybound creates a file that holds a secret (the audit signing key, the
/// development KEK, `keys generate`'s private JWK).
@Suite("OwnerOnlyFile")
struct OwnerOnlyFileTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("owner-only-\(UUID().uuidString)").path
    }

    @Test("creates the file owner-only with exactly the contents, however large")
    func createsOwnerOnly() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let contents = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        try OwnerOnlyFile.create(contents, atPath: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contents))
    }

    @Test("never overwrites an existing file, and leaves it as it was")
    func refusesExisting() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        try Data("first".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: OwnerOnlyFile.Failure.cannotCreate(String(cString: strerror(EEXIST)))) {
            try OwnerOnlyFile.create(Array("second".utf8), atPath: path)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first")
    }

    @Test("a file in a directory that does not exist is refused with the system's reason")
    func refusesMissingDirectory() {
        let path = temporaryPath() + "/nested/secret"
        #expect(throws: OwnerOnlyFile.Failure.cannotCreate(String(cString: strerror(ENOENT)))) {
            try OwnerOnlyFile.create([1, 2, 3], atPath: path)
        }
    }
}
