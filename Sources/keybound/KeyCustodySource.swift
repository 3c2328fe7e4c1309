import Foundation
import Keybound
import KeyboundPKCS11

/// The PKCS#11 token of this process, from the environment (``PKCS11Configuration/Variable``),
/// opened once: every command that works on keys asks here for the custodian of the issuers in
/// PKCS#11 custody. The PIN never comes from the command line.
///
/// A configuration that cannot work (no such module, no label, no PIN source, an unreadable or
/// open PIN file) stops the command. A token that is away, or refuses the PIN, only warns: the
/// command goes on (a revocation must not wait for a token), its PKCS#11 issuers sign nothing and
/// answer 503, and the token is opened at the first use after it is back.
enum KeyCustodySource {
    private static let opened = OpenedToken()

    /// The custodian of the configured token, or `nil` when `KEYBOUND_PKCS11_MODULE` is not set.
    /// A configuration that is set but wrong (module, label, PIN) is an error, not a silent fallback.
    static func custodian(environment: [String: String] = ProcessInfo.processInfo.environment) async throws(CLIError) -> PKCS11Custodian? {
        let configuration: PKCS11Configuration?
        do { configuration = try PKCS11Configuration.fromEnvironment(environment) } catch { throw CLIError("\(error.message) (\(error.code.rawValue))") }
        guard let configuration else { return nil }
        return try await opened.custodian(for: configuration)
    }

    /// One token per configuration for the life of the process.
    private actor OpenedToken {
        private var tokens: [String: PKCS11Token] = [:]

        func custodian(for configuration: PKCS11Configuration) async throws(CLIError) -> PKCS11Custodian {
            let key = "\(configuration.modulePath)\u{0}\(configuration.tokenLabel)"
            if let token = tokens[key] { return PKCS11Custodian(token: token) }
            do {
                let token = try await PKCS11Token.open(configuration)
                tokens[key] = token
                return PKCS11Custodian(token: token)
            } catch where [.tokenNotFound, .unavailable, .login].contains(error.code) {
                FileHandle.standardError.write(Data(("keybound: warning: the PKCS#11 token is not available now (\(error.code.rawValue): \(error.message)); "
                    + "issuers in PKCS#11 custody sign nothing and make no key until it is\n").utf8))
                return PKCS11Custodian(opening: configuration)
            } catch {
                throw CLIError("cannot open the PKCS#11 token: \(error.message) (\(error.code.rawValue))")
            }
        }
    }
}
