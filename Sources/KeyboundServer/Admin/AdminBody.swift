import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// A JSON object request body of the admin API, read strictly: `Content-Type: application/json`
/// (415 otherwise), at most 64 KiB, one object with no duplicate members (``StrictJSONParser``),
/// and no member the route does not know. A route whose members are all optional also accepts
/// no body at all (and no `Content-Type`), which reads as `{}`. No member is nullable: `null` is a
/// wrong type, as docs/admin-api.openapi.yaml says (it lists no nullable request member).
package struct AdminBody: Sendable {
    /// The largest body the admin API reads.
    static let maximumSize = 64 * 1024

    let object: JSONObject

    /// Wraps a parsed object, refusing members outside `allowed`.
    init(_ object: JSONObject, allowed: Set<String>) throws(OAuthError) {
        for name in object.names where !allowed.contains(name) {
            let known = allowed.sorted().joined(separator: ", ")
            throw OAuthError.invalidRequest("unknown member '\(Self.shown(name))'" + (known.isEmpty ? "; this route takes no members" : "; known members: \(known)"))
        }
        self.object = object
    }

    /// Reads and checks the body of `request`.
    package static func read(_ request: Request, allowed: Set<String>) async throws -> AdminBody {
        let contentType = request.headers[.contentType]
        if let contentType { try checkContentType(contentType) }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumSize)
        } catch {
            throw OAuthError(status: .contentTooLarge, error: "invalid_request", description: "the request body is larger than \(maximumSize) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        if contentType == nil {
            guard bytes.isEmpty else {
                throw OAuthError(status: .unsupportedMediaType, error: "invalid_request", description: "the body must be application/json")
            }
            return try AdminBody(JSONObject(), allowed: allowed)
        }
        let object: JSONObject
        do {
            object = try StrictJSONParser.parseObject(bytes)
        } catch {
            throw OAuthError.invalidRequest("the body is not a valid JSON object: \(error)")
        }
        return try AdminBody(object, allowed: allowed)
    }

    /// `application/json`, with no parameter but an optional `charset=utf-8`.
    static func checkContentType(_ value: String) throws(OAuthError) {
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let unsupported = OAuthError(status: .unsupportedMediaType, error: "invalid_request",
                                     description: "the body must be application/json (UTF-8)")
        guard parts.first == "application/json" else { throw unsupported }
        for parameter in parts.dropFirst() where !parameter.isEmpty {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0] == "charset", ["utf-8", "\"utf-8\""].contains(pair[1]) else { throw unsupported }
        }
    }

    // MARK: Members

    /// An optional string member (`null` is refused, not read as absent).
    func string(_ name: String) throws(OAuthError) -> String? {
        switch object[name] {
        case nil: return nil
        case .string(let value)?: return value
        case let other?: throw Self.wrongType(name, "a string", other)
        }
    }

    /// The required member `reason` of a revocation or an incident response (the document's
    /// `RevocationReason`): one line of 1–500 characters, not only spaces. Once it is one line it is
    /// given to `note`, so that a refused blank reason is in the admin log as it was sent.
    package func revocationReason(noting note: AdminActionNote) throws(OAuthError) -> String {
        let reason = try requiredString("reason")
        try Self.checkLine(reason, "reason", limit: 500)
        note.reason = reason
        guard reason.unicodeScalars.contains(where: { $0 != " " }) else {
            throw OAuthError.invalidRequest("the member 'reason' must not be blank")
        }
        return reason
    }

    /// A string member that must be present and non-empty.
    package func requiredString(_ name: String) throws(OAuthError) -> String {
        guard let value = try string(name) else { throw OAuthError.invalidRequest("the member '\(name)' is required") }
        guard !value.isEmpty else { throw OAuthError.invalidRequest("the member '\(name)' must not be empty") }
        return value
    }

    /// An optional array of strings, without repeats (by exact bytes, as JSON Schema's `uniqueItems`).
    func strings(_ name: String) throws(OAuthError) -> [String]? {
        switch object[name] {
        case nil: return nil
        case .array(let elements)?:
            var result: [String] = []
            for element in elements {
                guard case .string(let value) = element else { throw Self.wrongType(name, "an array of strings", element) }
                guard !result.containsExactly(value) else { throw OAuthError.invalidRequest("'\(Self.shown(value))' appears twice in '\(name)'") }
                result.append(value)
            }
            return result
        case let other?: throw Self.wrongType(name, "an array of strings", other)
        }
    }

    /// An optional Boolean member.
    func bool(_ name: String) throws(OAuthError) -> Bool? {
        switch object[name] {
        case nil: return nil
        case .bool(let value)?: return value
        case let other?: throw Self.wrongType(name, "true or false", other)
        }
    }

    /// An optional object member.
    func jsonObject(_ name: String) throws(OAuthError) -> JSONObject? {
        switch object[name] {
        case nil: return nil
        case .object(let value)?: return value
        case let other?: throw Self.wrongType(name, "an object", other)
        }
    }

    static func wrongType(_ name: String, _ expected: String, _ value: JSONValue) -> OAuthError {
        OAuthError.invalidRequest("the member '\(name)' must be \(expected), not \(value.typeName == "array" || value.typeName == "object" ? "an" : "a") \(value.typeName)")
    }

    /// A name or value quoted in an error message: at most 64 characters, control characters escaped.
    package static func shown(_ text: String) -> String {
        let clipped = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return clipped.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }

    // MARK: Checks shared by the handlers

    /// One line of text, as the document's `Line` schemas: 1–`limit` code points (JSON Schema's
    /// `maxLength` counts code points, not grapheme clusters), none a control character
    /// (U+0000–U+001F, U+007F–U+009F).
    package static func checkLine(_ value: String, _ name: String, limit: Int = 200) throws(OAuthError) {
        let scalars = value.unicodeScalars
        guard !scalars.isEmpty, scalars.count <= limit, !scalars.contains(where: isControl) else {
            throw OAuthError.invalidRequest("'\(name)' must be one line of " + (limit == .max ? "text" : "1–\(limit) characters")
                + " without control characters")
        }
    }

    /// U+0000–U+001F and U+007F–U+009F (Unicode's `Cc`).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value <= 0x1F || (0x7F...0x9F).contains(scalar.value)
    }

    /// A string of 1–`limit` bytes, each in `allowed` (ASCII patterns such as `^[a-z0-9-]{1,64}$`).
    static func checkASCII(_ value: String, _ name: String, limit: Int, allowed: (UInt8) -> Bool, shape: String) throws(OAuthError) {
        guard !value.isEmpty, value.utf8.count <= limit, value.utf8.allSatisfy(allowed) else {
            throw OAuthError.invalidRequest("'\(name)' must be \(shape), not '\(shown(value))'")
        }
    }

    /// A listing's page from the query: `after` (a sequence number, 0 or more, default 0) and
    /// `limit` (1–1000, default 100); any other parameter is refused.
    static func page(_ request: Request) throws -> (after: Int64, limit: Int) {
        let query = try FormBody.query(request)
        for name in query.values.keys where !["after", "limit"].contains(name) {
            throw OAuthError.invalidRequest("unknown query parameter '\(shown(name))'; known: after, limit")
        }
        var after: Int64 = 0
        if let text = query["after"] {
            guard let value = Int64(text), value >= 0 else { throw OAuthError.invalidRequest("'after' must be a sequence number ≥ 0") }
            after = value
        }
        var limit = 100
        if let text = query["limit"] {
            guard let value = Int(text), (1...1_000).contains(value) else { throw OAuthError.invalidRequest("'limit' must be between 1 and 1000") }
            limit = value
        }
        return (after, limit)
    }
}
