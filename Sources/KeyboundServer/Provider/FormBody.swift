import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body or query, strictly parsed: every parameter at most
/// once (RFC 6749 §3.1), valid percent-escapes and UTF-8 only, bounded size.
package struct FormBody: Sendable {
    package private(set) var values: [String: String] = [:]

    /// The largest form Keybound reads (client assertions and PKCE fit easily).
    static let maximumSize = 64 * 1024

    package subscript(name: String) -> String? { values[name] }

    /// A parameter that must be present and non-empty.
    func require(_ name: String) throws(OAuthError) -> String {
        guard let value = values[name], !value.isEmpty else { throw OAuthError.invalidRequest("the '\(name)' parameter is missing") }
        return value
    }

    /// Parses `text`. Throws `invalid_request` for a repeated parameter or a malformed escape.
    init(parsing text: Substring) throws(OAuthError) {
        guard !text.isEmpty else { return }
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), !name.isEmpty else {
                throw OAuthError.invalidRequest("a form parameter name is malformed")
            }
            guard let value = Self.decode(parts.count == 2 ? parts[1] : "") else {
                throw OAuthError.invalidRequest("the '\(name)' parameter is not valid percent-encoded UTF-8")
            }
            guard values[name] == nil else { throw OAuthError.invalidRequest("the '\(name)' parameter appears more than once") }
            values[name] = value
        }
    }

    /// Reads a POST body, which must be form-encoded and at most ``maximumSize`` bytes.
    static func read(_ request: Request) async throws -> FormBody {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded" else {
            throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumSize)
        } catch {
            throw OAuthError(status: .contentTooLarge, error: "invalid_request", description: "the request body is larger than \(maximumSize) bytes")
        }
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw OAuthError.invalidRequest("the request body is not UTF-8")
        }
        return try FormBody(parsing: Substring(text))
    }

    /// The request's query string, parsed the same way.
    package static func query(_ request: Request) throws(OAuthError) -> FormBody {
        try FormBody(parsing: Substring(request.uri.query ?? ""))
    }

    /// One form-encoded component (`+` is a space), or `nil` if malformed or not UTF-8 or containing NUL.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        guard let string = String(validating: bytes, as: UTF8.self), !string.utf8.contains(0) else { return nil }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
