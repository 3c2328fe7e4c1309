import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// How every console response is made: the exact CSP, no caching, no framing, no referrer.
enum ConsoleResponses {
    /// The console's Content-Security-Policy, on every response it sends, exactly.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// The headers of every console response.
    static func headers(contentType: String) -> HTTPFields {
        [
            .contentType: contentType, .contentSecurityPolicy: contentSecurityPolicy, .cacheControl: "no-store",
            .xContentTypeOptions: "nosniff", .xFrameOptions: "DENY", .referrerPolicy: "no-referrer",
        ]
    }

    /// The signed-in user shown in every page's header, with the session's CSRF token for sign-out.
    struct Viewer {
        let username: String
        let issuerID: String
        let role: String
        let csrfToken: String
        let isOperator: Bool

        var context: [String: Any] {
            ["username": username, "issuerID": issuerID, "role": role, "csrfToken": csrfToken, "isOperator": isOperator]
        }
    }

    /// The page `template` with `context`, inside the layout.
    /// A page with a live view (`live`) loads the console's script.
    static func page(_ template: String, title: String, context: [String: Any], viewer: Viewer?,
                     status: HTTPResponse.Status = .ok, cookies: [String] = [], live: Bool = false) -> Response {
        let library = ConsoleTemplates.library
        let content = library.render(context, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "content": content, "live": live]
        if let viewer { layout["user"] = viewer.context }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        var headers = headers(contentType: "text/html; charset=utf-8")
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page that says one thing: an error, or where to go next.
    static func message(_ heading: String, _ text: String, status: HTTPResponse.Status, viewer: Viewer? = nil,
                        cookies: [String] = []) -> Response {
        page("message", title: heading, context: ["heading": heading, "text": text, "isError": status.code >= 400],
             viewer: viewer, status: status, cookies: cookies)
    }

    /// `303 See Other` to `location`, setting `cookies`.
    static func redirect(to location: String, cookies: [String] = []) -> Response {
        var headers = headers(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// The stylesheet.
    static func stylesheet() -> Response { asset(ConsoleStylesheet.css, contentType: "text/css; charset=utf-8") }

    /// The script of the live views.
    static func script() -> Response { asset(ConsoleScript.javaScript, contentType: "text/javascript; charset=utf-8") }

    private static func asset(_ text: String, contentType: String) -> Response {
        var headers = headers(contentType: contentType)
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
