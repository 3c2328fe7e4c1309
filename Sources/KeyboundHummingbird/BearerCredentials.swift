import KeyboundValidation
import Hummingbird

/// What a request's `Authorization` header holds, read per RFC 6750 §2.1:
/// `credentials = "Bearer" 1*SP b64token`, the scheme matched case-insensitively.
///
/// Keybound's one reader of bearer credentials: the resource middleware, the provider's userinfo
/// endpoint and the admin API all read the header through it, so that they agree on what is
/// missing (no header, or another scheme: 401 without an error code, RFC 6750 §3.1) and what is
/// malformed (several headers, or not exactly one token: 400 `invalid_request`).
package enum BearerCredentials: Equatable {
    /// What a token may be made of.
    package enum Syntax: Sendable {
        /// RFC 6750's `b64token`: access tokens (JWS compact serialization).
        case b64token
        /// Visible ASCII (`%x21-7E`), no spaces: the admin token, chosen by the operator.
        case visibleASCII
    }

    /// One well-formed bearer token.
    case token(String)
    /// No bearer credentials: no header, or a header with another scheme (RFC 6750 §3.1).
    case missing
    /// Several `Authorization` headers, or a Bearer header that is not exactly one b64token.
    case malformed(String)

    /// Reads the `Authorization` header(s) of `fields`.
    package static func read(_ fields: HTTPFields, syntax: Syntax = .b64token) -> BearerCredentials {
        let values = fields[values: .authorization]
        guard let value = values.first else { return .missing }
        guard values.count == 1 else { return .malformed("the request has \(values.count) Authorization headers") }
        return parse(value, syntax: syntax)
    }

    /// Parses one `Authorization` field value.
    package static func parse(_ value: String, syntax: Syntax = .b64token) -> BearerCredentials {
        var bytes = value.utf8[...]
        while let first = bytes.first, first == space || first == tab { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == space || last == tab { bytes = bytes.dropLast() }
        let schemeEnd = bytes.firstIndex(where: { $0 == space || $0 == tab }) ?? bytes.endIndex
        let scheme = bytes[bytes.startIndex..<schemeEnd]
        guard isBearer(scheme) else { return .missing }
        var rest = bytes[schemeEnd...]
        guard rest.first == space else { return .malformed("the Bearer scheme must be followed by a space and one token") }
        while rest.first == space { rest = rest.dropFirst() }
        switch syntax {
        case .b64token:
            guard isB64Token(rest) else {
                return .malformed("the Bearer credentials must be exactly one token of base64url characters")
            }
        case .visibleASCII:
            guard !rest.isEmpty, rest.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                return .malformed("the Bearer credentials must be exactly one token of visible ASCII characters")
            }
        }
        return .token(String(decoding: rest, as: UTF8.self))
    }

    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// `Bearer` in any ASCII letter case.
    private static func isBearer(_ scheme: Substring.UTF8View) -> Bool {
        scheme.count == 6 && zip(scheme, "bearer".utf8).allSatisfy { byte, lower in
            byte == lower || byte == lower - 0x20
        }
    }

    /// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    private static func isB64Token(_ token: Substring.UTF8View) -> Bool {
        var index = token.startIndex
        var body = 0
        while index < token.endIndex, isB64TokenCharacter(token[index]) {
            body += 1
            index = token.index(after: index)
        }
        guard body > 0 else { return false }
        return token[index...].allSatisfy { $0 == UInt8(ascii: "=") }
    }

    private static func isB64TokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}
