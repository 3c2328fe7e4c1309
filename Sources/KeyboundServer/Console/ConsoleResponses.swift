import Foundation
import HTTPTypes
import Hummingbird
import Keybound
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
        /// The header's links (``ConsoleExtension/Link``), those this user may follow.
        var links: [ConsoleExtension.Link] = []

        var context: [String: Any] {
            let shown = links.filter { isOperator || !$0.operatorsOnly }.map { ["title": $0.title, "path": $0.path] }
            return ["username": username, "issuerID": issuerID, "role": role, "csrfToken": csrfToken, "isOperator": isOperator,
                    "links": shown, "hasLinks": !shown.isEmpty]
        }
    }

    /// The page `template` with `context`, inside the layout.
    /// A page with a live view (`live`) loads the console's script.
    static func page(_ template: String, title: String, context: [String: Any], viewer: Viewer?,
                     status: HTTPResponse.Status = .ok, cookies: [String] = [], live: Bool = false) -> Response {
        let content = ConsoleTemplates.library.render(context, withTemplate: template) ?? ""
        return page(content: content, title: title, viewer: viewer, status: status, cookies: cookies, live: live)
    }

    /// `content` (a rendered page, every value in it escaped) inside the layout.
    static func page(content: String, title: String, viewer: Viewer?, status: HTTPResponse.Status = .ok,
                     cookies: [String] = [], live: Bool = false) -> Response {
        var layout: [String: Any] = ["title": title, "content": content, "live": live]
        if let viewer { layout["user"] = viewer.context }
        let html = ConsoleTemplates.library.render(layout, withTemplate: "layout") ?? ""
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

    /// JSON for a live view's polling, with the console's headers.
    static func json(_ object: JSONObject) -> Response {
        Response(status: .ok, headers: headers(contentType: "application/json"), body: .init(byteBuffer: ByteBuffer(string: JSONWriter().string(.object(object)))))
    }

    /// A text document to save, not to open in the console's origin.
    static func download(_ text: String, fileName: String, contentType: String) -> Response {
        var headers = headers(contentType: contentType)
        let safe = String(fileName.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) ? Character($0) : "_" })
        headers[.contentDisposition] = "attachment; filename=\"\(safe)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The stylesheet, with what extensions add.
    static func stylesheet(_ extra: String = "") -> Response { asset(ConsoleStylesheet.css + extra, contentType: "text/css; charset=utf-8") }

    /// The script of the live views.
    static func script() -> Response { asset(ConsoleScript.javaScript, contentType: "text/javascript; charset=utf-8") }

    private static func asset(_ text: String, contentType: String) -> Response {
        var headers = headers(contentType: contentType)
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
