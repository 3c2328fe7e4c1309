import Crypto
import Foundation
import Keybound

/// A secret to look for, and every text form it could take on disk.
struct StoreSecret {
    let label: String
    let bytes: [UInt8]

    /// The private components of a signing key (EC/Ed25519 `d`; RSA `d`, `p`, `q`, `dp`, `dq`, `qi`),
    /// decoded from its private JWK to raw bytes.
    static func privateComponents(of key: SigningKey) -> [StoreSecret] {
        let jwk = key.exportPrivateJWK()
        return ["d", "p", "q", "dp", "dq", "qi"].compactMap { name in
            guard let text = jwk[name]?.stringValue, let bytes = Base64URL.decode(text) else { return nil }
            return StoreSecret(label: "\(key.algorithm.rawValue) \(key.keyID) \(name)", bytes: bytes)
        }
    }

    /// Raw bytes, lower- and upper-case hex, and standard base64 and base64url at each of the three
    /// byte alignments a value can have inside a longer encoded stream (the characters that depend
    /// only on the secret's own bytes).
    var encodings: [(name: String, bytes: [UInt8])] {
        let lowerHex = bytes.map { String(format: "%02x", $0) }.joined()
        var forms: [(String, [UInt8])] = [("raw", bytes), ("hex", Array(lowerHex.utf8)), ("HEX", Array(lowerHex.uppercased().utf8))]
        for offset in 0..<3 {
            let standard = Data(Array(repeating: 0, count: offset) + bytes).base64EncodedString()
            // Drop the first group when it mixes in the prefix, and the last group (padding, or mixed with what follows).
            let core = Array(standard.utf8).dropFirst(offset == 0 ? 0 : 4).dropLast(4)
            forms.append(("base64@\(offset)", Array(core)))
            forms.append(("base64url@\(offset)", core.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 }))
        }
        forms.append(("base64", Array(Data(bytes).base64EncodedString().utf8)))
        forms.append(("base64url", Array(Base64URL.encode(bytes).utf8)))
        return forms
    }
}

/// Searches every file of a data directory for secrets.
enum StoreSecretScanner {
    /// The regular files of `directory` (the database, `-wal`, `-shm`, anything else).
    static func files(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// One line per secret found: file, secret, encoding. Empty when nothing leaked.
    static func findings(in directory: URL, secrets: [StoreSecret]) throws -> [String] {
        var findings: [String] = []
        for file in try files(in: directory) {
            let contents = try Data(contentsOf: file)
            for secret in secrets {
                for form in secret.encodings where contains(contents, form.bytes) {
                    findings.append("\(file.lastPathComponent): \(secret.label) as \(form.name)")
                }
            }
        }
        return findings
    }

    static func contains(_ haystack: Data, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return haystack.range(of: Data(needle)) != nil
    }

    /// SHA-256 of every file in `directory`, by name.
    static func hashes(of directory: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for file in try files(in: directory) {
            result[file.lastPathComponent] = SHA256.hash(data: try Data(contentsOf: file)).map { String(format: "%02x", $0) }.joined()
        }
        return result
    }
}
