import Foundation

/// Where Keybound finds its PKCS#11 token: the module, the token's label, the PIN's source and
/// how many sessions sign at once.
///
/// The PIN comes from a file or an environment variable, never from the command line (where every
/// local user can read it in the process list).
public struct PKCS11Configuration: Sendable, Equatable {
    /// Where the user PIN is read from. It is read at each login and wiped after it.
    public enum PINSource: Sendable, Equatable {
        /// A file holding the PIN (less one trailing newline). Refused when its group or others may read it.
        case file(String)
        /// An environment variable holding the PIN.
        case environment(String)
    }

    /// The path of the PKCS#11 module (`/usr/lib/softhsm/libsofthsm2.so`, a vendor's HSM library).
    public var modulePath: String
    /// The label of the token that holds the keys, exactly as the token reports it (without the
    /// trailing spaces PKCS#11 pads it with).
    public var tokenLabel: String
    /// Where the PIN comes from.
    public var pin: PINSource
    /// How many sessions sign at once, and how many threads make `C_*` calls (1 to 64, 4 by default).
    public var sessions: Int

    /// A configuration of the token labelled `tokenLabel` in the module at `modulePath`.
    public init(modulePath: String, tokenLabel: String, pin: PINSource, sessions: Int = 4) {
        self.modulePath = modulePath
        self.tokenLabel = tokenLabel
        self.pin = pin
        self.sessions = sessions
    }

    /// Checks what can be checked without loading the module.
    func validate() throws(PKCS11Error) {
        guard !modulePath.isEmpty else { throw PKCS11Error(.configuration, "no PKCS#11 module path") }
        guard !tokenLabel.isEmpty, tokenLabel.utf8.count <= 32 else {
            throw PKCS11Error(.configuration, "a token label has 1 to 32 bytes")
        }
        guard (1...64).contains(sessions) else {
            throw PKCS11Error(.configuration, "the PKCS#11 session count must be from 1 to 64, not \(sessions)")
        }
    }

    /// The PIN's bytes, read now. The caller wipes them after use.
    func readPIN(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PKCS11Error) -> [UInt8] {
        var bytes: [UInt8]
        switch pin {
        case .environment(let name):
            guard let value = environment[name] else {
                throw PKCS11Error(.pin, "the PKCS#11 PIN variable \(name) is not set")
            }
            bytes = Array(value.utf8)
        case .file(let path):
            var info = stat()
            guard stat(path, &info) == 0 else { throw PKCS11Error(.pin, "the PKCS#11 PIN file '\(path)' does not exist") }
            guard info.st_mode & 0o077 == 0 else {
                throw PKCS11Error(.pin, "the PKCS#11 PIN file '\(path)' may be read by others: chmod 600 it")
            }
            guard info.st_size <= 4096, let data = FileManager.default.contents(atPath: path) else {
                throw PKCS11Error(.pin, "cannot read the PKCS#11 PIN file '\(path)'")
            }
            bytes = Array(data)
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard !bytes.isEmpty else { throw PKCS11Error(.pin, "the PKCS#11 PIN is empty") }
        return bytes
    }
}
