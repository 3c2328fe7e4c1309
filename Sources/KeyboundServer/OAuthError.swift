import Foundation
import Hummingbird
import Keybound

/// An RFC 6749 §5.2 error body, as every endpoint answers errors.
public struct OAuthError: HTTPResponseError, CustomStringConvertible {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The RFC 6749 (or RFC 6750, RFC 8707) error code.
    public let error: String
    /// One line for the developer; never contains secrets.
    public let errorDescription: String
    /// Extra headers (`WWW-Authenticate`).
    public var headers: HTTPFields

    /// An error.
    public init(status: HTTPResponse.Status, error: String, description: String, headers: HTTPFields = [:]) {
        self.status = status
        self.error = error
        self.errorDescription = description
        self.headers = headers
    }

    public var description: String { "\(error): \(errorDescription)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = JSONObject(["error": .string(error), "error_description": .string(errorDescription)])
        var fields = headers
        fields[.cacheControl] = "no-store"
        fields[.pragma] = "no-cache"
        return JSONResponse.make(body, status: status, headers: fields)
    }

    package static func notFound(_ what: String) -> OAuthError {
        OAuthError(status: .notFound, error: "not_found", description: what)
    }

    package static func invalidRequest(_ why: String) -> OAuthError {
        OAuthError(status: .badRequest, error: "invalid_request", description: why)
    }

    /// 401 `invalid_client`; with a `WWW-Authenticate: Basic` challenge when the client tried Basic (RFC 6749 §5.2).
    static func invalidClient(_ why: String, basic: Bool = false) -> OAuthError {
        OAuthError(status: .unauthorized, error: "invalid_client", description: why,
                   headers: basic ? [.wwwAuthenticate: "Basic realm=\"keybound\", charset=\"UTF-8\""] : [:])
    }

    static func invalidGrant(_ why: String) -> OAuthError {
        OAuthError(status: .badRequest, error: "invalid_grant", description: why)
    }

    static func unauthorizedClient(_ why: String) -> OAuthError {
        OAuthError(status: .badRequest, error: "unauthorized_client", description: why)
    }

    static func invalidScope(_ why: String) -> OAuthError {
        OAuthError(status: .badRequest, error: "invalid_scope", description: why)
    }

    static func invalidTarget(_ why: String) -> OAuthError {
        OAuthError(status: .badRequest, error: "invalid_target", description: why)
    }

    /// 503 `temporarily_unavailable`, `Retry-After: 5`: the database cannot be used right now.
    package static func storeUnavailable() -> OAuthError {
        var error = OAuthError(status: .serviceUnavailable, error: "temporarily_unavailable",
                               description: "the provider's database is unavailable; try again shortly")
        error.headers[.retryAfter] = "5"
        return error
    }

    /// 503 `temporarily_unavailable` with `Retry-After`: the issuer's signing keys are in a
    /// PKCS#11 token that is absent or not answering. Issuance fails closed until it is back.
    package static func signingUnavailable() -> OAuthError {
        var error = OAuthError(status: .serviceUnavailable, error: "temporarily_unavailable",
                               description: "the issuer's signing key is unavailable; try again shortly")
        error.headers[.retryAfter] = "5"
        return error
    }

    package static func serverError(_ why: String) -> OAuthError {
        OAuthError(status: .internalServerError, error: "server_error", description: why)
    }

    /// RFC 6750 §3 errors for bearer-token endpoints (userinfo).
    static func bearer(_ status: HTTPResponse.Status, _ error: String, _ why: String) -> OAuthError {
        let quoted = why.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "'")
        var challenge = "Bearer realm=\"keybound\""
        if !error.isEmpty { challenge += ", error=\"\(error)\", error_description=\"\(quoted)\"" }
        return OAuthError(status: status, error: error.isEmpty ? "invalid_request" : error, description: why,
                          headers: [.wwwAuthenticate: challenge])
    }
}

/// JSON responses written with Keybound's own JSON writer.
enum JSONResponse {
    static func make(_ object: JSONObject, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        let bytes = JSONWriter().bytes(.object(object))
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
