import Foundation
import Keybound

/// Reads `signin.csrf_secret_file`: a file holding the secret the sign-in CSRF tokens are derived
/// from, so that several nodes behind one public URL accept each other's forms. The secret is never
/// quoted in a message.
enum CSRFSecretFile {
    /// The least and most characters of a secret.
    static let lengthRange = 32...4_096
    /// The largest file read.
    static let maximumFileSize = 64 * 1_024

    /// The secret's bytes: the file's text trimmed of surrounding whitespace, 32–4096 visible ASCII
    /// characters (`openssl rand -hex 32` makes one). A relative path is taken relative to
    /// `directory` (the config file's), or the working directory when `nil`.
    static func read(_ path: String, directory: String?, source: SettingSource) throws(ConfigurationError) -> [UInt8] {
        var resolved = path
        if !path.hasPrefix("/"), let directory {
            resolved = URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(path).path
        }
        let bytes: [UInt8]
        do {
            bytes = try BoundedFileReader.contents(ofFile: resolved, limit: maximumFileSize)
        } catch {
            switch error {
            case .unreadable(let reason): throw source.error("'\(resolved)' cannot be read: \(reason)")
            case .notRegularFile: throw source.error("'\(resolved)' is not a regular file")
            case .tooLarge: throw source.error("'\(resolved)' is larger than \(maximumFileSize / 1_024) KiB; it should hold only the secret")
            }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw source.error("'\(resolved)' is not UTF-8 text") }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard secret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw source.error("'\(resolved)': the secret must hold only visible ASCII characters (no spaces)")
        }
        guard lengthRange.contains(secret.utf8.count) else {
            throw source.error("'\(resolved)': the secret must have \(lengthRange.lowerBound) to \(lengthRange.upperBound) characters, "
                               + "it has \(secret.utf8.count) (for example the output of `openssl rand -hex 32`)")
        }
        return Array(secret.utf8)
    }
}
