import Foundation
import Hummingbird
import Keybound

/// An RFC 6749 §5.2 error body, as every endpoint answers errors.
struct OAuthError: HTTPResponseError {
    let status: HTTPResponse.Status
    let error: String
    let description: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = JSONObject(["error": .string(error), "error_description": .string(description)])
        return JSONResponse.make(body, status: status, headers: [.cacheControl: "no-store"])
    }

    static func notFound(_ what: String) -> OAuthError {
        OAuthError(status: .notFound, error: "not_found", description: what)
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
