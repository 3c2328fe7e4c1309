import Foundation
import Hummingbird

/// The sign-in page: plain HTML, no scripts, one stylesheet from the issuer's own path
/// (`/{issuer}/sign-in.css`, ``stylesheet``), no inline style, so that its CSP allows styles from
/// its own origin only. It says which issuer the user is signing in to and, for third-party
/// clients, what the client asks for.
enum LoginPage {
    struct Content {
        var issuerName: String
        var issuerURL: String
        var clientName: String
        var scopes: [String]
        var needsConsent: Bool
        var hiddenFields: [(String, String)]
        var csrfToken: String
        var action: String
        var error: String?
        /// The stylesheet's path: `/{issuer}/sign-in.css`.
        var stylesheetPath: String
    }

    /// The page's CSS, served at `/{issuer}/sign-in.css`.
    static let stylesheet = """
        body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}
        label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem}
        .error{color:#a40000}.issuer{color:#555;font-size:.9rem}button{margin-top:1rem;padding:.5rem 1.2rem}

        """

    /// The page's Content-Security-Policy: nothing but its own stylesheet and its form.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// `GET /{issuer}/sign-in.css`.
    static func stylesheetResponse() -> Response {
        Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600",
                                        .xContentTypeOptions: "nosniff"],
                 body: .init(byteBuffer: ByteBuffer(string: stylesheet)))
    }

    static func render(_ content: Content, status: HTTPResponse.Status = .ok, setCookie: String?) -> Response {
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Sign in to \(escape(content.issuerName))</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="stylesheet" href="\(escape(content.stylesheetPath))">
            </head><body>
            <h1>Sign in</h1>
            <p class="issuer">Identity system: <strong>\(escape(content.issuerName))</strong><br>\(escape(content.issuerURL))</p>
            <p><strong>\(escape(content.clientName))</strong> wants you to sign in.</p>

            """
        if let error = content.error { html += "<p class=\"error\" role=\"alert\">\(escape(error))</p>\n" }
        html += "<form method=\"post\" action=\"\(escape(content.action))\">\n"
        for (name, value) in content.hiddenFields {
            html += "<input type=\"hidden\" name=\"\(escape(name))\" value=\"\(escape(value))\">\n"
        }
        html += "<input type=\"hidden\" name=\"csrf_token\" value=\"\(escape(content.csrfToken))\">\n"
        html += """
            <label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" required>
            <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>

            """
        if content.needsConsent {
            html += "<p>It asks for:</p><ul>\n"
            for scope in content.scopes { html += "<li>\(escape(scope))</li>\n" }
            html += "</ul><label><input type=\"checkbox\" name=\"consent\" value=\"yes\"> Allow this</label>\n"
        }
        html += "<button type=\"submit\">Sign in</button>\n</form>\n</body></html>\n"
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: contentSecurityPolicy,
            .xFrameOptions: "DENY", .referrerPolicy: "no-referrer",
        ]
        if let setCookie { headers[.setCookie] = setCookie }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page for errors that must not be redirected (unknown client, unregistered redirect URI).
    static func error(_ message: String, status: HTTPResponse.Status = .badRequest) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head>
            <body><h1>Sign-in error</h1><p>\(escape(message))</p></body></html>

            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
