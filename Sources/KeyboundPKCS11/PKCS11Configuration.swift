import Foundation
import Keybound

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
            do {
                bytes = try BoundedFileReader.ownerOnlyContents(ofFile: path, limit: 4_096)
            } catch {
                switch error {
                case .missing: throw PKCS11Error(.pin, "the PKCS#11 PIN file '\(path)' does not exist")
                case .readableByOthers: throw PKCS11Error(.pin, "the PKCS#11 PIN file '\(path)' may be read by others: chmod 600 it")
                case .notRegularFile: throw PKCS11Error(.pin, "the PKCS#11 PIN file '\(path)' is not a regular file")
                case .tooLarge: throw PKCS11Error(.pin, "the PKCS#11 PIN file '\(path)' is larger than 4 KiB")
                case .unreadable(let reason): throw PKCS11Error(.pin, "cannot read the PKCS#11 PIN file '\(path)': \(reason)")
                }
            }
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard !bytes.isEmpty else { throw PKCS11Error(.pin, "the PKCS#11 PIN is empty") }
        return bytes
    }
}

extension PKCS11Configuration {
    /// The environment variables every command reads its PKCS#11 configuration from: `keybound
    /// serve`, `keys rotate`, `keys tick`, `incident respond` and the rest see the same token.
    public enum Variable {
        /// The module's path. Unset: no PKCS#11 custody in this process.
        public static let module = "KEYBOUND_PKCS11_MODULE"
        /// The token's label.
        public static let token = "KEYBOUND_PKCS11_TOKEN"
        /// A file holding the PIN (mode 600).
        public static let pinFile = "KEYBOUND_PKCS11_PIN_FILE"
        /// The PIN itself, when no file is named.
        public static let pin = "KEYBOUND_PKCS11_PIN"
        /// How many sessions sign at once (1 to 64; 4 when unset).
        public static let sessions = "KEYBOUND_PKCS11_SESSIONS"
    }

    /// The configuration in `environment`, or `nil` when ``Variable/module`` is not set. A module
    /// without a token label or a PIN source is refused: a half-configured token fails loudly.
    public static func fromEnvironment(_ environment: [String: String]) throws(PKCS11Error) -> PKCS11Configuration? {
        guard let module = environment[Variable.module], !module.isEmpty else { return nil }
        guard let label = environment[Variable.token], !label.isEmpty else {
            throw PKCS11Error(.configuration, "\(Variable.module) is set but \(Variable.token) (the token's label) is not")
        }
        let pin: PINSource
        if let file = environment[Variable.pinFile], !file.isEmpty {
            pin = .file(file)
        } else if environment[Variable.pin] != nil {
            pin = .environment(Variable.pin)
        } else {
            throw PKCS11Error(.pin, "\(Variable.module) is set but neither \(Variable.pinFile) nor \(Variable.pin) gives the PIN")
        }
        var sessions = 4
        if let text = environment[Variable.sessions] {
            guard let value = Int(text) else {
                throw PKCS11Error(.configuration, "\(Variable.sessions) must be a whole number from 1 to 64, not '\(text.prefix(40))'")
            }
            sessions = value
        }
        let configuration = PKCS11Configuration(modulePath: module, tokenLabel: label, pin: pin, sessions: sessions)
        try configuration.validate()
        return configuration
    }
}
