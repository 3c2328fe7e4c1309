import Foundation
@testable import Keybound
import Testing
@testable import KeyboundAudit

@Suite("Audit signing key: a 0600 file, never shown")
struct AuditSigningKeyTests {
    /// The private key's `d` (base64url) and its raw bytes in hex and standard base64.
    static func secretForms(in directory: URL) throws -> [String] {
        let data = try Data(contentsOf: AuditSigningKey.file(in: directory))
        let object = try StrictJSONParser.parseObject(Array(data))
        let d = try #require(object["d"]?.stringValue)
        let raw = try #require(Base64URL.decode(d))
        #expect(raw.count == 32)
        return [d, Hex.encode(raw), Data(raw).base64EncodedString(), String(d.prefix(16))]
    }

    @Test("A new log creates audit-signing-key.json with mode 0600 and records its public key")
    func createdOwnerOnly() throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        let attributes = try FileManager.default.attributesOfItem(atPath: AuditSigningKey.file(in: directory).path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let loaded = try AuditSigningKey.load(from: AuditSigningKey.file(in: directory))
        #expect(loaded.publicKey == log.publicKey)
        // Never overwritten: O_EXCL.
        #expect(throws: AuditError.self) { try AuditSigningKey.generate().write(to: AuditSigningKey.file(in: directory)) }
        #expect(try AuditSigningKey.load(from: AuditSigningKey.file(in: directory)).publicKey == log.publicKey)
        // Reopening uses the same key.
        #expect(try AuditLog(directory: directory).publicKey == log.publicKey)
    }

    @Test("The private key appears in no description, reflection, error, report or checkpoint export")
    func neverShown() async throws {
        let (directory, log) = try AuditFixture.log(count: 12)
        defer { AuditFixture.cleanUp(directory) }
        let secrets = try Self.secretForms(in: directory)
        var texts: [String] = []
        let key = try AuditSigningKey.load(from: AuditSigningKey.file(in: directory))
        texts.append(String(describing: key))
        texts.append(String(reflecting: key))
        var dumped = ""
        dump(key, to: &dumped)
        texts.append(dumped)
        texts.append(String(describing: log.publicKey))
        let report = try AuditFixture.verify(directory)
        texts.append(report.summary)
        texts.append(JSONWriter().string(.object(report.jsonObject)))
        texts.append(contentsOf: try await log.checkpoints().map { JSONWriter().string(.object($0.jsonObject)) })

        // Errors: a key file that is too open, one that is not the log's key, one that is corrupt, a missing one.
        let keyFile = AuditSigningKey.file(in: directory)
        let original = try Data(contentsOf: keyFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile.path)
        texts.append(try #require(Self.openError(directory)))
        try FileManager.default.removeItem(at: keyFile)
        texts.append(try #require(Self.openError(directory)))
        try AuditSigningKey.generate().write(to: keyFile)
        texts.append(try #require(Self.openError(directory)))
        try FileManager.default.removeItem(at: keyFile)
        // A truncated copy of the real key file: its contents must not be echoed.
        let fd = open(keyFile.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        let corrupt = Array(original.prefix(original.count - 5))
        _ = corrupt.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        texts.append(try #require(Self.openError(directory)))

        for text in texts {
            for secret in secrets { #expect(!text.contains(secret), "private key material in: \(text)") }
        }
        #expect(texts.contains { $0.contains("mode 644") })
        #expect(texts.contains { $0.contains("is missing") })
        #expect(texts.contains { $0.contains("does not know") })
        #expect(texts.contains { $0.contains("not an Ed25519 private JWK") })
    }

    static func openError(_ directory: URL) -> String? {
        do {
            _ = try AuditLog(directory: directory)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("The key lives in locked memory and is rebuilt for each signature: signatures verify, and the bytes round-trip through the file and the sealed form")
    func lockedAndRebuiltPerSignature() throws {
        let key = AuditSigningKey.generate()
        if getuid() == 0 { #expect(key.isMemoryLocked, "root may always lock memory") }
        let message = Array("checkpoint 42".utf8)
        let first = try key.sign(message), second = try key.sign(message)
        #expect(first == second, "Ed25519 is deterministic: the key rebuilt for each signature is the same key")
        #expect(key.publicKey.isValidSignature(first, for: message))
        let reopened = try AuditSigningKey(privateKeyBytes: key.privateKeyBytes)
        #expect(reopened.publicKey == key.publicKey)
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        try key.write(to: AuditSigningKey.file(in: directory))
        let loaded = try AuditSigningKey.load(from: AuditSigningKey.file(in: directory))
        #expect(try loaded.sign(message) == first)
    }
}
