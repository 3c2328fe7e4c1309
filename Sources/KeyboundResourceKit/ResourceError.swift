import Foundation
import Hummingbird
import Keybound
import KeyboundHummingbird

/// A protected resource's refusal after the token was accepted (or a failure to serve), answered
/// with an OAuth-style JSON body: `error`, `error_description` and `keybound_code`, the code also
/// recorded in the audit log (`docs/mail.md` lists Keybound Mail's).
public struct ResourceError: HTTPResponseError, CustomStringConvertible {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The OAuth-style error (`insufficient_scope`, `access_denied`, `not_found`, `invalid_request`, `temporarily_unavailable`).
    public let error: String
    /// The Keybound code recorded in the audit log (e.g. `tenant_mismatch`, `mailbox_not_owned`).
    public let code: String
    /// One line for humans.
    public let errorDescription: String
    /// For `insufficient_scope`: the scopes that would have sufficed.
    public let scope: String?
    /// The realm of an `insufficient_scope` challenge; ``ResourceGuard`` sets its resource's.
    public var realm = Bearer.defaultRealm

    /// A refusal.
    public init(_ status: HTTPResponse.Status, error: String, code: String, _ description: String, scope: String? = nil) {
        self.status = status
        self.error = error
        self.code = code
        self.errorDescription = description
        self.scope = scope
    }

    public var description: String { "\(code): \(errorDescription)" }

    /// The JSON body.
    public var body: JSONObject {
        var object = JSONObject(["error": .string(error), "error_description": .string(errorDescription), "keybound_code": .string(code)])
        if let scope { object["scope"] = .string(scope) }
        return object
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if error == "insufficient_scope" {
            var challenge = "Bearer realm=\"\(realm)\", error=\"insufficient_scope\""
            if let scope { challenge += ", scope=\"\(scope)\"" }
            headers[.wwwAuthenticate] = challenge
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter().bytes(.object(body)))))
    }

    /// A refusal with the OAuth error that names it.
    public static func insufficientScope(_ code: String, _ description: String, scope: String?) -> ResourceError {
        ResourceError(.forbidden, error: "insufficient_scope", code: code, description, scope: scope)
    }

    /// A refusal with the OAuth error that names it.
    public static func accessDenied(_ code: String, _ description: String) -> ResourceError {
        ResourceError(.forbidden, error: "access_denied", code: code, description)
    }

    /// A refusal with the OAuth error that names it.
    public static func notFound(_ code: String, _ description: String) -> ResourceError {
        ResourceError(.notFound, error: "not_found", code: code, description)
    }

    /// A refusal with the OAuth error that names it.
    public static func invalidRequest(_ description: String) -> ResourceError {
        ResourceError(.badRequest, error: "invalid_request", code: "invalid_request", description)
    }

    /// 503: the route failed in a way it did not name (logged; recorded as `internal_error`).
    public static let internalFailure = ResourceError(.serviceUnavailable, error: "temporarily_unavailable", code: "internal_error",
                                                      "the request could not be served")

    /// 503: the attempt could not be recorded, so it is not served.
    public static let auditUnavailable = ResourceError(.serviceUnavailable, error: "temporarily_unavailable", code: "audit_unavailable",
                                            "the access could not be recorded in the audit log, so it is refused")
}
