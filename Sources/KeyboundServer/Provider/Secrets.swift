import Crypto
import Foundation
import Keybound

/// Random identifiers and secrets, and their stored digests.
@_spi(Plumbing) public enum Secrets {
    /// A random 256-bit value, base64url without padding (43 characters), with an optional prefix
    /// that secret scanners can match (`kbs_` client secrets, `kbr_` refresh tokens).
    public static func random256(prefix: String = "") -> String {
        prefix + SymmetricKey(size: .bits256).withUnsafeBytes { Base64URL.encode($0) }
    }

    /// Lowercase hex SHA-256 of `text`'s UTF-8 bytes: how client secrets, refresh tokens and codes are stored.
    public static func hexDigest(_ text: String) -> String {
        hexDigest(bytes: Array(text.utf8))
    }

    /// Lowercase hex SHA-256 of `bytes`.
    public static func hexDigest<Bytes: DataProtocol>(bytes: Bytes) -> String {
        let digits: StaticString = "0123456789abcdef"
        let digest = SHA256.hash(data: bytes)
        return String(unsafeUninitializedCapacity: 64) { buffer in
            var index = 0
            digest.withUnsafeBytes { bytes in
                for byte in bytes {
                    buffer[index] = digits.utf8Start[Int(byte >> 4)]
                    buffer[index + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    index += 2
                }
            }
            return index
        }
    }

    /// Compares two strings in time that depends only on their lengths, not on where they differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= x ^ y
        }
        return difference == 0 && left.count == right.count
    }

    /// A random UUID string (lowercase): subjects, session ids, token ids.
    public static func uuid() -> String {
        let digits: StaticString = "0123456789abcdef"
        var bytes = UUID().uuid
        return withUnsafeBytes(of: &bytes) { raw in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var index = 0
                for (position, byte) in raw.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        buffer[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    buffer[index] = digits.utf8Start[Int(byte >> 4)]
                    buffer[index + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }
}
