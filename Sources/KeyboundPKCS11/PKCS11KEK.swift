import Crypto
import Keybound

/// The key-encryption key as an AES-256 key inside a PKCS#11 token, which will not export it: the
/// store's software keys are sealed and opened by the token (`CKM_AES_GCM`), so no copy of the
/// KEK is ever in this process's memory, and a copied store is useless without the token.
///
/// Create it once with ``create(label:in:)`` (`keybound kek create --pkcs11-label`), then name it
/// with `KEYBOUND_KEK_PKCS11_LABEL`. Its ``fingerprint`` is a key check value: the GCM tag of 16
/// zero bytes under an all-zero nonce (never a sealing nonce: ``seal(_:authenticating:)`` draws
/// another), so a wrong key is recognised before anything is opened.
public final class PKCS11KEK: SealingCustodian {
    /// The key's `CKA_LABEL`.
    public let label: String
    /// The key check value, base64url of 12 bytes, in the form of a software KEK's fingerprint.
    public let fingerprint: String
    private let token: PKCS11Token

    private init(label: String, fingerprint: String, token: PKCS11Token) {
        self.label = label
        self.fingerprint = fingerprint
        self.token = token
    }

    /// Generates a new key labelled `label` in `token` and returns it. Refuses a label the token
    /// already holds.
    public static func create(label: String, in token: PKCS11Token) async throws(PKCS11Error) -> PKCS11KEK {
        try await token.generateSecretKey(label: label)
        return try await open(label: label, in: token)
    }

    /// The key labelled `label` in `token`; ``PKCS11ErrorCode/keyNotFound`` when there is none.
    public static func open(label: String, in token: PKCS11Token) async throws(PKCS11Error) -> PKCS11KEK {
        guard !label.isEmpty, label.utf8.count <= 64 else { throw PKCS11Error(.configuration, "a key-encryption key's label is 1 to 64 bytes") }
        let check = try await token.aesGCM(label: label, encrypting: true, nonce: Array(repeating: 0, count: 12),
                                           associatedData: Array("keybound-kek-check-v1".utf8), input: LockedBytes(count: 16))
        let tag = check.withUnsafeBytes { Array($0.suffix(16)) }
        return PKCS11KEK(label: label, fingerprint: Base64URL.encode(tag.prefix(12)), token: token)
    }

    package func seal(_ plaintext: LockedBytes, authenticating associatedData: [UInt8]) async throws(SigningError) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        while nonce.allSatisfy({ $0 == 0 }) { nonce = Array(AES.GCM.Nonce()) }
        do {
            let sealed = try await token.aesGCM(label: label, encrypting: true, nonce: nonce, associatedData: associatedData, input: plaintext)
            return nonce + sealed.withUnsafeBytes { Array($0) }
        } catch {
            throw Self.signingError(error, "sealing under key-encryption key '\(label)' failed")
        }
    }

    package func open(_ sealed: [UInt8], authenticating associatedData: [UInt8]) async throws(SigningError) -> LockedBytes {
        guard sealed.count >= 28 else { throw SigningError("a sealed value is at least 28 bytes (nonce and tag)") }
        let body = sealed.dropFirst(12).withUnsafeBytes { LockedBytes(copying: $0) }
        do {
            return try await token.aesGCM(label: label, encrypting: false, nonce: Array(sealed.prefix(12)), associatedData: associatedData, input: body)
        } catch {
            throw Self.signingError(error, "opening under key-encryption key '\(label)' failed")
        }
    }

    /// A token that is away, or refuses the PIN, is unavailable (503, retry later); anything
    /// else (a tag that does not verify, a missing key) is not.
    private static func signingError(_ error: PKCS11Error, _ what: String) -> SigningError {
        SigningError("\(what): \(error.message) (\(error.code.rawValue))", unavailable: [.unavailable, .login, .tokenNotFound].contains(error.code))
    }
}
