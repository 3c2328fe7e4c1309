import Foundation

/// Unpadded base64url decoding (RFC 4648 §5), used only while preparing fixtures.
enum Base64URLDecoding {
    /// The bytes of `text`, or `nil` if it is not base64url.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var standard = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard.append("=") }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
