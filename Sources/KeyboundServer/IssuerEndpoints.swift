import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Per-issuer discovery and key-set endpoints. Each issuer lives under its own path and publishes
/// only its own keys: there is no common key set.
///
/// The metadata of issuer `https://host[/prefix]/<id>` is served where both standards look for it:
/// `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4) and
/// `https://host/.well-known/oauth-authorization-server[/prefix]/<id>` (RFC 8414 §3.1: the
/// well-known segment between the host and the issuer's path), plus, for clients that append it,
/// `<issuer>/.well-known/oauth-authorization-server`. All three answer the same document.
struct IssuerEndpoints: Sendable {
    let context: ProviderContext

    /// The routes under `/<issuer>/`, on the issuer's route group.
    func register(on issuerRoutes: RouterGroup<ProviderRequestContext>) {
        issuerRoutes.get(".well-known/openid-configuration") { _, routeContext in try await discovery(issuer: try routeContext.issuer()) }
        issuerRoutes.get(".well-known/oauth-authorization-server") { _, routeContext in
            try await discovery(issuer: try routeContext.issuer())
        }
        issuerRoutes.get("jwks") { _, routeContext in try await keySet(issuer: try routeContext.issuer()) }
    }

    /// The RFC 8414 location, where the well-known segment comes before the issuer's path.
    func registerInsertedWellKnown(on router: Router<ProviderRequestContext>) {
        router.get("/.well-known/oauth-authorization-server/**") { _, routeContext in
            try await discovery(issuer: try Self.issuer(insertedPath: routeContext.parameters.getCatchAll(), context: context))
        }
    }

    /// The issuer id named by the path after `/.well-known/oauth-authorization-server/`, which must
    /// be exactly the issuer URL's own path (`<id>`, or `<prefix>/<id>` when the public URL has a
    /// path). Anything else is 404: RFC 8414 §3.3 makes the document's `issuer` exactly the URL the
    /// well-known segment was inserted into, so no other spelling may answer it.
    static func issuer(insertedPath segments: [Substring], context: ProviderContext) async throws -> IssuerRecord {
        guard let last = segments.last, !last.isEmpty else { throw OAuthError.notFound("the well-known URI names no issuer") }
        let id = String(last)
        let issuer = try await context.issuer(id)
        let issuerPath = URL(string: issuer.url)?.path ?? ""
        let requested = "/" + segments.joined(separator: "/")
        guard requested.isExactly(issuerPath) else {
            throw OAuthError.notFound("no issuer at '\(AdminBody.shown(requested))'")
        }
        return issuer
    }

    /// OpenID Connect Discovery 1.0 / RFC 8414 metadata.
    func discovery(issuer: IssuerRecord) async throws -> Response {
        func endpoint(_ name: String) -> JSONValue { .string(context.endpoint(issuer, name)) }
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        let resources = try await context.directory.resourcesForDiscovery(issuerID: issuer.id)
        let scopes = Array(GrantedScope.openIDScopeNames).sorted()
            + resources.flatMap { resource in resource.scopes.map { "\(resource.audience)/\($0)" } }
        let authMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
        let assertionAlgorithms = JWSAlgorithm.allCases.map(\.rawValue)
        let document = JSONObject([
            "issuer": .string(issuer.url),
            "authorization_endpoint": endpoint("authorize"),
            "token_endpoint": endpoint("token"),
            "userinfo_endpoint": endpoint("userinfo"),
            "jwks_uri": endpoint("jwks"),
            "introspection_endpoint": endpoint("introspect"),
            "revocation_endpoint": endpoint("revoke"),
            // The issuance feed and its status endpoint, for server clients (docs/issuance-feed.md).
            "issuance_feed_endpoint": endpoint("token-events"),
            "issuance_status_endpoint": endpoint("token-status"),
            "scopes_supported": strings(scopes),
            "response_types_supported": strings(["code"]),
            "response_modes_supported": strings(["query"]),
            "grant_types_supported": strings(ClientRecord.supportedGrantTypes),
            "subject_types_supported": strings(["public"]),
            // RS256 first: OIDC Discovery §3 requires it, OIDC Core §15.1 requires signing with it.
            "id_token_signing_alg_values_supported": strings(IDTokenSigning.supportedAlgorithms(of: issuer).map(\.rawValue)),
            "token_endpoint_auth_methods_supported": strings(authMethods),
            // RFC 8414 §2: present wherever private_key_jwt is offered, and never `none`.
            "token_endpoint_auth_signing_alg_values_supported": strings(assertionAlgorithms),
            "introspection_endpoint_auth_methods_supported": strings(Array(authMethods.dropLast())),
            "introspection_endpoint_auth_signing_alg_values_supported": strings(assertionAlgorithms),
            "revocation_endpoint_auth_methods_supported": strings(authMethods),
            "revocation_endpoint_auth_signing_alg_values_supported": strings(assertionAlgorithms),
            "code_challenge_methods_supported": strings(["S256"]),
            "claims_supported": strings(["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "tid", "azp",
                                         "at_hash", "name", "preferred_username", "email", "email_verified"]),
            "authorization_response_iss_parameter_supported": .bool(true),
            // A tenant is (issuer, tid): validators bind this issuer to exactly this tid.
            "tenant_id": .string(context.tenantID(of: issuer)),
            "tenant_kind": .string(issuer.kind == .consumer ? "consumer" : "tenant"),
            "max_token_lifetime": .number(issuer.maximumTokenLifetime.rounded(.down)),
            "claims_parameter_supported": .bool(false),
            "request_parameter_supported": .bool(false),
            "request_uri_parameter_supported": .bool(false),
        ])
        return JSONResponse.make(document, headers: [.cacheControl: "public, max-age=300"])
    }

    /// The issuer's pending, active and verify-only keys. Cached no longer than the publish lead
    /// time (and at most an hour), so every validator has seen a key before it signs.
    func keySet(issuer: IssuerRecord) async throws -> Response {
        let bytes = try await context.keys.keySetBytes(issuerID: issuer.id)
        let maxAge = Int(min(issuer.publishLeadTime / 2, 3_600))
        return Response(status: .ok, headers: [.cacheControl: "public, max-age=\(maxAge)", .contentType: "application/jwk-set+json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
