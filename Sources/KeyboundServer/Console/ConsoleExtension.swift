import Foundation
import HTTPTypes
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// Pages that modules above the server add to the console (the composition root's hunt and
/// incidents), served behind the console's own sessions, CSP, CSRF check and permission table, so
/// that `KeyboundServer` depends on no hunt or incident module.
package struct ConsoleExtension: Sendable {
    /// A link in every page's header.
    package struct Link: Sendable {
        /// The link's text.
        package let title: String
        /// Where it goes, under `/console`.
        package let path: String
        /// Shown to operators only (else to every signed-in user).
        package let operatorsOnly: Bool

        /// A link.
        package init(title: String, path: String, operatorsOnly: Bool) {
            self.title = title
            self.path = path
            self.operatorsOnly = operatorsOnly
        }
    }

    /// The header links.
    package let links: [Link]
    /// Links on each key's row of an issuer's page (not for retired keys): `path` is appended to
    /// `/console/issuers/{issuer}/keys/{kid}/`.
    package let keyLinks: [Link]
    /// Links at the foot of an issuer's page: `path` is appended to `/console/issuers/{issuer}/`.
    package let issuerLinks: [Link]
    /// Where the alerts page links an alert's token: this path with `?jti=` and the token's id
    /// (the audit records of that token, when the audit log is in this deployment).
    package let alertRecordsPath: String?
    /// CSS served as part of `/console/console.css` (the CSP allows no inline style).
    package let stylesheet: String
    /// Adds the routes to the console's group (`/console`).
    package let register: @Sendable (ConsolePages, RouterGroup<ProviderRequestContext>) -> Void

    /// An extension.
    package init(links: [Link], keyLinks: [Link] = [], issuerLinks: [Link] = [], alertRecordsPath: String? = nil, stylesheet: String,
                 register: @escaping @Sendable (ConsolePages, RouterGroup<ProviderRequestContext>) -> Void) {
        self.links = links
        self.keyLinks = keyLinks
        self.issuerLinks = issuerLinks
        self.alertRecordsPath = alertRecordsPath
        self.stylesheet = stylesheet
        self.register = register
    }
}

/// A signed-in console user, as an extension's page sees them.
package struct ConsoleUser {
    let signedIn: ConsoleEndpoints.SignedIn

    /// Who is calling, for the admin API's handlers.
    package var caller: AdminCaller { signedIn.caller }
    /// The issuer the user signed in at.
    package var issuerID: String { signedIn.session.issuerID }
    /// The session's CSRF token, for the page's forms.
    package var csrfToken: String { signedIn.session.csrfToken }
    /// Whether the user is an operator.
    package var isOperator: Bool { signedIn.viewer.isOperator }

    /// Whether the user may do `permission` on `issuerID` (the admin API's permission table).
    package func may(_ permission: AdminPermission, issuerID: String?) -> Bool { signedIn.caller.may(permission, issuerID: issuerID) }
}

/// What an extension's page uses of the console: sessions, forms, answers and admin calls.
package struct ConsolePages: Sendable {
    let endpoints: ConsoleEndpoints

    /// The provider.
    package var context: ProviderContext { endpoints.context }

    /// Serves a page to a signed-in user (anyone else gets the sign-in page); a thrown
    /// ``OAuthError`` or store error becomes an HTML page with its status.
    package func page(_ request: Request, _ body: (ConsoleUser) async throws -> Response) async throws -> Response {
        try await endpoints.page(request) { try await body(ConsoleUser(signedIn: $0)) }
    }

    /// Serves a state-changing form: as ``page(_:_:)``, and only with the session's CSRF token
    /// (403 otherwise, with nothing changed).
    package func form(_ request: Request, _ body: @escaping (ConsoleUser, FormBody) async throws -> Response) async throws -> Response {
        try await endpoints.form(request) { try await body(ConsoleUser(signedIn: $0), $1) }
    }

    /// The page with `content` (HTML the extension rendered, every value escaped) in the layout.
    package func render(_ content: String, title: String, user: ConsoleUser, status: HTTPResponse.Status = .ok, live: Bool = false) -> Response {
        ConsoleResponses.page(content: content, title: title, viewer: user.signedIn.viewer, status: status, live: live)
    }

    /// A page that says one thing.
    package func message(_ heading: String, _ text: String, status: HTTPResponse.Status, user: ConsoleUser) -> Response {
        ConsoleResponses.message(heading, text, status: status, viewer: user.signedIn.viewer)
    }

    /// `303 See Other` to a console path.
    package func redirect(to location: String) -> Response { ConsoleResponses.redirect(to: location) }

    /// A JSON answer with the console's headers (for the live views' polling).
    package func json(_ object: JSONObject) -> Response { ConsoleResponses.json(object) }

    /// A text file to download, with the console's headers and `Content-Disposition: attachment`.
    package func download(_ text: String, fileName: String, contentType: String) -> Response {
        ConsoleResponses.download(text, fileName: fileName, contentType: contentType)
    }

    /// The redirect to sign in again when the password was typed more than five minutes ago.
    package func freshSignInRequired(_ user: ConsoleUser, returnTo: String) -> Response? {
        endpoints.freshSignInRequired(user.signedIn, returnTo: returnTo)
    }

    /// The issuer, if the user may do `permission` on it; else throws the 403 or 404 page.
    package func visibleIssuer(_ user: ConsoleUser, issuerID: String, _ permission: AdminPermission) async throws -> IssuerRecord {
        try await endpoints.visibleIssuer(user.signedIn, issuerID: issuerID, permission)
    }

    /// Runs `handler` through the admin API's permission check and admin log (``ConsoleAdminCall``).
    package func adminCall(_ user: ConsoleUser, _ permission: AdminPermission, logAs action: String, parameters: [(String, String)],
                           body: JSONObject = JSONObject(), logger: Logger,
                           _ handler: @Sendable (Request, AdminRoute) async throws -> Response) async -> Result<JSONObject, OAuthError> {
        await ConsoleAdminCall(context: context, caller: user.caller, logger: logger)
            .run(permission, logAs: action, parameters: parameters, body: body, handler)
    }

    /// `text` encoded for a query string (everything but the unreserved characters escaped).
    package static func formEncode(_ text: String) -> String { ConsoleTokens.formEncode(text) }

    /// The path parameter `name`, percent-decoded, or empty.
    package static func parameter(_ routeContext: ProviderRequestContext, _ name: String) -> String {
        ConsoleEndpoints.parameter(routeContext, name)
    }
}
