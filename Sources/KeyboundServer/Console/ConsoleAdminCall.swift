import Foundation
import HTTPTypes
import Hummingbird
import Keybound
import KeyboundStore
import Logging
import NIOCore

/// A change the console makes, through the admin API's own handlers and its one authorization
/// layer (``AdminEndpoints/perform(_:context:caller:parameters:logger:permission:logAs:_:)``): the
/// same permission check as (issuer, role), the same validation, and the same admin log entry, with
/// the console user as the actor.
struct ConsoleAdminCall {
    let context: ProviderContext
    let caller: AdminCaller
    let logger: Logger

    /// Runs `handler` with `body` as its JSON request body and `parameters` as its path
    /// parameters; the admin API's JSON answer, or its error.
    func run(_ permission: AdminPermission, logAs action: String, parameters: [(String, String)], body: JSONObject = JSONObject(),
             _ handler: @Sendable (Request, AdminRoute) async throws -> Response) async -> Result<JSONObject, OAuthError> {
        var head = HTTPRequest(method: .post, scheme: "http", authority: "console.internal", path: "/admin")
        head.headerFields[.contentType] = "application/json"
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(string: JSONWriter().string(.object(body)))))
        var routeParameters = Parameters()
        for (name, value) in parameters { routeParameters.append(key: Substring(name), value: Substring(AdminResponse.segment(value))) }
        do {
            let response = try await AdminEndpoints.perform(request, context: context, caller: caller, parameters: routeParameters, logger: logger,
                                                            permission: permission, logAs: action, handler)
            let bytes = try await ConsoleTokens.collect(response)
            return .success((try? StrictJSONParser.parseObject(bytes)) ?? JSONObject())
        } catch let error as OAuthError {
            return .failure(error)
        } catch {
            return .failure(OAuthError.serverError("the change failed"))
        }
    }
}
