import Foundation
import Keybound
@testable import KeyboundStore
import Testing

/// The key-encryption key is read from its file and decoded straight into locked memory, with the
/// same meaning as before: the same bytes, the same fingerprint, the same refusals.
@Suite("Key store: the KEK in locked memory")
struct KEKMemoryTests {
    @Test("the secret base64 decoder agrees with Foundation's on every length and padding", arguments: [1, 2, 3, 16, 31, 32, 33, 64])
    func decoderAgreesWithFoundation(length: Int) throws {
        for _ in 0..<20 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let padded = Data(bytes).base64EncodedString()
            for text in [padded, String(padded.drop { _ in false }.trimmingCharacters(in: ["="])), "  \n" + padded + "\r\n"] {
                let decoded = try #require(Array(text.utf8).withUnsafeBytes { SecretBase64.decodeLocked($0) }, "\(text)")
                #expect(decoded.withUnsafeBytes { Array($0) } == bytes)
            }
        }
    }

    @Test("text that is not base64 is refused", arguments: ["", "   ", "A", "AB=C", "ab$d", "QUJD RA==", "QUJDRA===", "-_-_"])
    func refusesWhatIsNotBase64(text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { SecretBase64.decodeLocked($0) } == nil)
    }

    @Test("a KEK read from its file equals the one from its text, is locked into memory when the kernel allows, and a bad file is refused")
    func fileAndTextAgree() async throws {
        let kek = KeyEncryptionKey.generate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-kek-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("kek")
        try Data((kek.base64Text + "\n").utf8).write(to: file)
        let read = try KEKSource.read(file: file)
        #expect(read.fingerprint == kek.fingerprint)
        #expect(try KeyEncryptionKey(base64: kek.base64Text).fingerprint == kek.fingerprint)
        #expect(read.isMemoryLocked == (read.memoryLockFailure == nil))
        // It opens what the other sealed.
        let key = try SigningKeyFixture.key()
        let sealed = try await KeySealer(kek: kek).seal(key, issuerID: "contoso")
        await #expect(try await KeySealer(kek: read).open(sealed, issuerID: "contoso", keyID: key.keyID).keyID == key.keyID)

        try Data("not base64!\n".utf8).write(to: file)
        #expect(throws: StoreError.self) { try KEKSource.read(file: file) }
        try Data((Data(count: 16).base64EncodedString()).utf8).write(to: file)
        let short = #expect(throws: StoreError.self) { try KEKSource.read(file: file) }
        #expect(short?.code == .invalidKEK)
        #expect(short?.message.contains("32 bytes") == true)
        let missing = #expect(throws: StoreError.self) { try KEKSource.read(file: directory.appendingPathComponent("none")) }
        #expect(missing?.code == .missingKEK)
    }
}

/// A signing key for sealing tests.
enum SigningKeyFixture {
    static func key() throws -> SigningKey {
        try SigningKey.generate(algorithm: .es256, issuer: "https://login.keybound.test/contoso/v2.0")
    }
}
