import Foundation
@testable import Keybound
import KeyboundPKCS11
import Testing

/// The key-encryption key as an AES-256 key inside SoftHSM2: it seals and opens there, the token
/// will not export it, and its fingerprint is a stable check value.
@Suite("PKCS#11 custody: the key-encryption key inside SoftHSM2")
struct PKCS11KEKTests {
    static func uniqueLabel() -> String { "kek-\(UUID().uuidString.prefix(8))" }

    static func locked(_ bytes: [UInt8]) -> LockedBytes { bytes.withUnsafeBytes { LockedBytes(copying: $0) } }

    @Test("a sealed value opens with the same associated data, into locked memory, and in the layout of a software KEK (nonce ‖ ciphertext ‖ tag); other associated data or an altered byte does not open, and is not reported as the token being away")
    func sealsAndOpens() async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let kek = try await PKCS11KEK.create(label: Self.uniqueLabel(), in: token)
        let plaintext = Array("{\"d\":\"secret\"}".utf8)
        let sealed = try await kek.seal(Self.locked(plaintext), authenticating: [1, 2, 3])
        #expect(sealed.count == 12 + plaintext.count + 16)
        let again = try await kek.seal(Self.locked(plaintext), authenticating: [1, 2, 3])
        #expect(again.prefix(12) != sealed.prefix(12), "a fresh nonce for each seal")
        let opened = try await kek.open(sealed, authenticating: [1, 2, 3])
        #expect(opened.withUnsafeBytes { Array($0) } == plaintext)

        let otherData = await #expect(throws: SigningError.self) { _ = try await kek.open(sealed, authenticating: [1, 2, 4]) }
        #expect(otherData?.isUnavailable == false)
        var altered = sealed
        altered[14] ^= 1
        let alteredError = await #expect(throws: SigningError.self) { _ = try await kek.open(altered, authenticating: [1, 2, 3]) }
        #expect(alteredError?.isUnavailable == false)
    }

    @Test("the key is sensitive and not extractable, and the token refuses to read its value; a second key with the same label is refused")
    func keyNeverLeavesTheToken() async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let label = Self.uniqueLabel()
        _ = try await PKCS11KEK.create(label: label, in: token)
        let exportability = try await token.secretKeyExportability(label: label)
        #expect(exportability.flags["CKA_SENSITIVE"] == true)
        #expect(exportability.flags["CKA_EXTRACTABLE"] == false)
        #expect(exportability.flags["CKA_WRAP"] == false && exportability.flags["CKA_UNWRAP"] == false)
        #expect(exportability.valueReadResult == "CKR_ATTRIBUTE_SENSITIVE")
        await #expect(throws: PKCS11Error.self) { _ = try await PKCS11KEK.create(label: label, in: token) }
    }

    @Test("the fingerprint is the same each time the key is opened, differs between keys, and a label the token does not hold is key_not_found")
    func fingerprintIsStable() async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let label = Self.uniqueLabel()
        let created = try await PKCS11KEK.create(label: label, in: token)
        let reopened = try await PKCS11KEK.open(label: label, in: token)
        #expect(created.fingerprint == reopened.fingerprint)
        #expect(created.fingerprint.count == 16)
        let other = try await PKCS11KEK.create(label: Self.uniqueLabel(), in: token)
        #expect(other.fingerprint != created.fingerprint)
        let sealed = try await created.seal(Self.locked([9, 9]), authenticating: [])
        await #expect(throws: SigningError.self) { _ = try await other.open(sealed, authenticating: []) }
        let missing = await #expect(throws: PKCS11Error.self) { _ = try await PKCS11KEK.open(label: Self.uniqueLabel(), in: token) }
        #expect(missing?.code == .keyNotFound, "\(String(describing: missing))")
    }
}
