import Foundation
import KeyboundStore

/// A validated authorization request (RFC 6749 §4.1.1 with RFC 7636 PKCE, S256 only).
struct AuthorizationRequest: Sendable {
    var client: ClientRecord
    var redirectURI: String
    var state: String?
    var nonce: String?
    var codeChallenge: String
    var scope: GrantedScope
    var requestedScope: String
    var resource: String?

    /// Where an error goes: a page when the client or redirect URI is not trustworthy, otherwise
    /// a redirect back to the client with `error` (RFC 6749 §4.1.2.1).
    enum Failure: Error {
        case page(String)
        case redirect(uri: String, state: String?, error: String, description: String)
    }

    /// The parameters carried through the login form.
    var hiddenFields: [(String, String)] {
        var fields: [(String, String)] = [
            ("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", redirectURI),
            ("scope", requestedScope), ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
        ]
        if let state { fields.append(("state", state)) }
        if let nonce { fields.append(("nonce", nonce)) }
        if let resource { fields.append(("resource", resource)) }
        return fields
    }

    /// ``validate(_:issuer:context:)``'s outcome as a value.
    static func result(_ form: FormBody, issuer: IssuerRecord, context: ProviderContext) async -> Result<AuthorizationRequest, Failure> {
        do {
            return .success(try await validate(form, issuer: issuer, context: context))
        } catch {
            return .failure(error)
        }
    }

    static func validate(_ form: FormBody, issuer: IssuerRecord, context: ProviderContext) async throws(Failure) -> AuthorizationRequest {
        guard let clientID = form["client_id"], ClientRecord.isValidClientID(clientID) else {
            throw .page("The request names no valid client_id.")
        }
        let found: ClientRecord?
        do { found = try await context.store.client(issuerID: issuer.id, clientID: clientID) } catch { throw .page("The client could not be looked up.") }
        guard let client = found, !client.isDisabled, client.grantTypes.contains("authorization_code") else {
            throw .page("'\(clientID)' is not a client of \(issuer.id) that may use the authorization code flow.")
        }
        let redirectURI: String
        if let given = form["redirect_uri"] {
            guard client.redirectURIs.containsExactly(given) else { throw .page("The redirect_uri is not registered for this client.") }
            redirectURI = given
        } else {
            guard client.redirectURIs.count == 1 else { throw .page("The request needs a redirect_uri.") }
            redirectURI = client.redirectURIs[0]
        }
        let state = form["state"]
        func fail(_ error: String, _ description: String) -> Failure {
            .redirect(uri: redirectURI, state: state, error: error, description: description)
        }
        guard form["request"] == nil else { throw fail("request_not_supported", "request objects are not supported") }
        guard form["request_uri"] == nil else { throw fail("request_uri_not_supported", "request_uri is not supported") }
        guard form["response_type"] == "code" else {
            throw fail("unsupported_response_type", "only response_type=code is supported")
        }
        if let mode = form["response_mode"], mode != "query" { throw fail("invalid_request", "only response_mode=query is supported") }
        guard let challenge = form["code_challenge"] else { throw fail("invalid_request", "PKCE is required: send code_challenge with S256") }
        guard form["code_challenge_method"] == "S256" else {
            throw fail("invalid_request", "code_challenge_method must be S256 ('plain' is refused)")
        }
        guard PKCE.isValidChallenge(challenge) else { throw fail("invalid_request", "code_challenge must be 43 base64url characters") }
        if form["prompt"]?.split(separator: " ").contains("none") == true {
            throw fail("login_required", "Keybound keeps no single-sign-on session; the user must sign in")
        }
        let scope: GrantedScope
        do {
            // The console's built-in resource (keybound://console), for the console's own client only.
            let resources = ConsoleResource.adding(to: try await context.store.resources(issuerID: issuer.id), issuer: issuer,
                                                   clientID: client.clientID)
            scope = try GrantedScope.delegated(scope: form["scope"], resourceParameter: form["resource"], resources: resources)
        } catch let error as OAuthError {
            throw fail(error.error, error.errorDescription)
        } catch {
            throw fail("server_error", "the resources could not be read")
        }
        if let nonce = form["nonce"], nonce.utf8.count > 512 { throw fail("invalid_request", "nonce is longer than 512 bytes") }
        if let state, state.utf8.count > 2048 { throw fail("invalid_request", "state is longer than 2048 bytes") }
        return AuthorizationRequest(client: client, redirectURI: redirectURI, state: state, nonce: form["nonce"],
                                    codeChallenge: challenge, scope: scope, requestedScope: scope.scopeString,
                                    resource: form["resource"])
    }

    /// `uri` with the response parameters (and `iss`, RFC 9207) added to its query.
    static func redirect(_ uri: String, _ parameters: [(String, String?)]) -> String {
        var components = URLComponents(string: uri) ?? URLComponents()
        var items = components.queryItems ?? []
        for (name, value) in parameters { if let value { items.append(URLQueryItem(name: name, value: value)) } }
        components.queryItems = items
        // URLComponents leaves '+' as is, which form decoders read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? uri
    }
}
