import KeyboundValidation
import Hummingbird

/// A router whose every `GET` route also answers `HEAD` (RFC 9110 §9.3.2): the request is routed as
/// the `GET` it stands for, and the answer keeps the `GET`'s status and headers (its
/// `Content-Length` included, when the length is known) without a body.
///
/// Hummingbird's own `.autoGenerateHeadEndpoints` sends `Content-Length: 0` for a streamed `GET`
/// (an event stream) and only covers routes that matched; this wrapper sends no length it does not
/// know, and a `HEAD` that the `GET` would refuse gets the same refusal, headers included.
public struct HeadAnsweringRouter<Context: RequestContext>: HTTPResponderBuilder {
    /// The routes, registered as usual (`GET` routes answer `HEAD` too).
    public let router: Router<Context>

    /// Wraps `router`; register no route on it afterwards.
    public init(_ router: Router<Context>) {
        self.router = router
    }

    /// The router's routes (each `GET` among them also answers `HEAD`).
    public var routes: [Router<Context>.RouteDescription] { router.routes }

    /// The router's responder behind the `HEAD` handling.
    public func buildResponder() -> HeadAnsweringResponder<RouterResponder<Context>> {
        HeadAnsweringResponder(base: router.buildResponder())
    }
}

/// Answers a `HEAD` with `base`'s answer to the corresponding `GET`, without its body.
public struct HeadAnsweringResponder<Base: HTTPResponder>: HTTPResponder {
    /// The responder that serves the `GET`.
    public let base: Base

    /// Serves `request`; a `HEAD` as its `GET`, with the body left out.
    public func respond(to request: Request, context: Base.Context) async throws -> Response {
        guard request.method == .head else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        let response = try await base.respond(to: Request(head: head, body: request.body), context: context)
        return Self.withoutBody(response)
    }

    /// `response`'s status and headers with no body. The headers keep the `Content-Length` the
    /// `GET` body set; a body of unknown length (a stream) gets none, never a false `0`.
    static func withoutBody(_ response: Response) -> Response {
        Response(status: response.status, headers: response.headers, body: ResponseBody { writer in try await writer.finish(nil) })
    }
}
