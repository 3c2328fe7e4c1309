import Foundation
import Keybound
import KeyboundPKCS11
import KeyboundStore

/// The key-encryption key inside the PKCS#11 token, when `KEYBOUND_KEK_PKCS11_LABEL` names it:
/// an AES-256 key the token will not export (``PKCS11KEK``), in the token that
/// `KEYBOUND_PKCS11_MODULE`, `_TOKEN` and `_PIN_FILE` configure. It replaces `KEYBOUND_KEK_FILE` and
/// `KEYBOUND_KEK`; setting both is refused. Without the token nothing can be unsealed, so a
/// command stops when the token is away at its start.
enum TokenKEKSource {
    /// The variable naming the key's `CKA_LABEL`.
    static let variable = "KEYBOUND_KEK_PKCS11_LABEL"

    /// The KEK in the token, or `nil` when ``variable`` is not set.
    static func kek(environment: [String: String] = ProcessInfo.processInfo.environment) async throws(CLIError) -> KeyEncryptionKey? {
        guard let label = environment[variable], !label.isEmpty else { return nil }
        if [environment["KEYBOUND_KEK_FILE"], environment["KEYBOUND_KEK"]].contains(where: { !($0 ?? "").isEmpty }) {
            throw CLIError("\(variable) names a key-encryption key in the PKCS#11 token; KEYBOUND_KEK_FILE and KEYBOUND_KEK must then be unset")
        }
        let token = try await token(environment: environment, purpose: variable)
        do {
            return KeyEncryptionKey(custodian: try await PKCS11KEK.open(label: label, in: token))
        } catch {
            throw CLIError("cannot use the key-encryption key '\(label)' in the PKCS#11 token: \(error.message) (\(error.code.rawValue))")
        }
    }

    /// The KEK of a store in a database: the token's, else the file's or the variable's.
    static func kekForDatabase(environment: [String: String] = ProcessInfo.processInfo.environment) async throws(CLIError) -> KeyEncryptionKey {
        if let kek = try await kek(environment: environment) { return kek }
        return try storeCall { () throws(StoreError) in try KEKSource.resolveForDatabase(environment: environment) }
    }

    /// The configured token, which must be there now.
    static func token(environment: [String: String], purpose: String) async throws(CLIError) -> PKCS11Token {
        let configuration: PKCS11Configuration?
        do { configuration = try PKCS11Configuration.fromEnvironment(environment) } catch { throw CLIError("\(error.message) (\(error.code.rawValue))") }
        guard let configuration else {
            throw CLIError("\(purpose) needs a PKCS#11 token: set KEYBOUND_PKCS11_MODULE, KEYBOUND_PKCS11_TOKEN and KEYBOUND_PKCS11_PIN_FILE")
        }
        do {
            return try await PKCS11Token.open(configuration)
        } catch {
            throw CLIError("cannot open the PKCS#11 token for the key-encryption key: \(error.message) (\(error.code.rawValue))")
        }
    }
}
