import Foundation
import Hummingbird
import Keybound
import KeyboundValidation

/// A refused bearer-authenticated request: an RFC 6750 §3 challenge in `WWW-Authenticate` and an
/// OAuth-style JSON body.
///
/// ``BearerAuthenticator`` and ``RequireIdentity`` throw it; Hummingbird turns it into the response.
public struct BearerError: HTTPResponseError, CustomStringConvertible {
    /// The HTTP status: 400, 401 or 403.
    public let status: HTTPResponse.Status
    /// The RFC 6750 error code (`invalid_request`, `invalid_token`, `insufficient_scope`), or `nil`
    /// for a challenge to a request that carried no credentials (RFC 6750 §3.1).
    public let error: String?
    /// One line for the developer; never contains the token.
    public let errorDescription: String?
    /// The Keybound code: the verifier's `RejectionCode` for a refused token, or the
    /// `AccessDenial/Code` of a refused identity (`docs/errors.md`, `docs/middleware.md`).
    public let keyboundCode: String?
    /// The scopes that would have been enough, for `insufficient_scope`.
    public let scope: String?
    /// The realm of the challenge.
    public let realm: String

    /// A refusal.
    public init(status: HTTPResponse.Status, error: String?, description: String?, keyboundCode: String? = nil,
                scope: String? = nil, realm: String = Bearer.defaultRealm) {
        self.status = status
        self.error = error
        self.errorDescription = description
        self.keyboundCode = keyboundCode
        self.scope = scope
        self.realm = realm
    }

    /// 401 without an error code: the request carried no bearer credentials.
    public static func missingToken(realm: String = Bearer.defaultRealm) -> BearerError {
        BearerError(status: .unauthorized, error: nil, description: nil, realm: realm)
    }

    /// 400 `invalid_request`: the `Authorization` header is malformed.
    public static func invalidRequest(_ why: String, realm: String = Bearer.defaultRealm) -> BearerError {
        BearerError(status: .badRequest, error: "invalid_request", description: why, realm: realm)
    }

    /// 401 `invalid_token` for a verifier's rejection; the description is `<code>: <reason>`.
    public static func invalidToken(_ rejection: TokenRejection, realm: String = Bearer.defaultRealm) -> BearerError {
        BearerError(status: .unauthorized, error: "invalid_token", description: "\(rejection.code.rawValue): \(rejection.reason)",
                    keyboundCode: rejection.code.rawValue, realm: realm)
    }

    /// The `WWW-Authenticate` value: `Bearer realm="…"[, error="…", error_description="…"][, scope="…"]`, one line.
    public var challenge: String {
        var parts = ["realm=\(Self.quoted(realm))"]
        if let error { parts.append("error=\(Self.quoted(error))") }
        if let errorDescription { parts.append("error_description=\(Self.quoted(errorDescription))") }
        if let scope { parts.append("scope=\(Self.quoted(scope))") }
        return "Bearer " + parts.joined(separator: ", ")
    }

    /// The JSON body: `error`, `error_description`, and `keybound_code` or `scope` when known.
    public var body: JSONObject {
        var object = JSONObject()
        object["error"] = .string(error ?? "unauthorized")
        object["error_description"] = .string(errorDescription ?? "a bearer token is required")
        if let keyboundCode { object["keybound_code"] = .string(keyboundCode) }
        if let scope { object["scope"] = .string(scope) }
        return object
    }

    public var description: String {
        "\(status.code) \(error ?? "unauthorized")\(errorDescription.map { ": \($0)" } ?? "")"
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = challenge
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        let bytes = JSONWriter().bytes(.object(body))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An RFC 9110 quoted-string on one line: `"` and `\` escaped, control characters as spaces,
    /// characters outside ASCII as `?` (RFC 6750 §3 allows printable ASCII only), at most 512 characters.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars.prefix(512) {
            switch scalar.value {
            case 0x22, 0x5C:
                result.append("\\")
                result.unicodeScalars.append(scalar)
            case 0x20...0x7E:
                result.unicodeScalars.append(scalar)
            case 0x00..<0x20, 0x7F:
                result.append(" ")
            default:
                result.append("?")
            }
        }
        result.append("\"")
        return result
    }
}
