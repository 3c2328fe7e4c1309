import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Per-issuer discovery and key-set endpoints. Each issuer lives under its own path and publishes
/// only its own keys: there is no common key set.
struct IssuerEndpoints: Sendable {
    let context: ProviderContext

    func register(on router: Router<ProviderRequestContext>) {
        router.get("/:issuer/.well-known/openid-configuration") { request, routeContext in
            try discovery(issuerID: try routeContext.parameters.require("issuer"))
        }
        router.get("/:issuer/.well-known/oauth-authorization-server") { request, routeContext in
            try discovery(issuerID: try routeContext.parameters.require("issuer"))
        }
        router.get("/:issuer/jwks") { request, routeContext in
            try keySet(issuerID: try routeContext.parameters.require("issuer"))
        }
    }

    /// OpenID Connect Discovery 1.0 / RFC 8414 metadata.
    func discovery(issuerID: String) throws -> Response {
        let issuer = try context.issuer(issuerID)
        func endpoint(_ name: String) -> JSONValue { .string(context.endpoint(issuer, name)) }
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        let resources = try context.directory.resources(issuerID: issuer.id)
        let scopes = Array(GrantedScope.openIDScopeNames).sorted()
            + resources.flatMap { resource in resource.scopes.map { "\(resource.audience)/\($0)" } }
        let authMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
        let document = JSONObject([
            "issuer": .string(issuer.url),
            "authorization_endpoint": endpoint("authorize"),
            "token_endpoint": endpoint("token"),
            "userinfo_endpoint": endpoint("userinfo"),
            "jwks_uri": endpoint("jwks"),
            "introspection_endpoint": endpoint("introspect"),
            "revocation_endpoint": endpoint("revoke"),
            "scopes_supported": strings(scopes),
            "response_types_supported": strings(["code"]),
            "response_modes_supported": strings(["query"]),
            "grant_types_supported": strings(ClientRecord.supportedGrantTypes),
            "subject_types_supported": strings(["public"]),
            "id_token_signing_alg_values_supported": strings([issuer.algorithm.rawValue]),
            "token_endpoint_auth_methods_supported": strings(authMethods),
            "token_endpoint_auth_signing_alg_values_supported": strings(JWSAlgorithm.allCases.map(\.rawValue)),
            "introspection_endpoint_auth_methods_supported": strings(Array(authMethods.dropLast())),
            "revocation_endpoint_auth_methods_supported": strings(authMethods),
            "code_challenge_methods_supported": strings(["S256"]),
            "claims_supported": strings(["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "tid", "azp",
                                         "at_hash", "name", "preferred_username", "email", "email_verified"]),
            "authorization_response_iss_parameter_supported": .bool(true),
            "claims_parameter_supported": .bool(false),
            "request_parameter_supported": .bool(false),
            "request_uri_parameter_supported": .bool(false),
        ])
        return JSONResponse.make(document, headers: [.cacheControl: "public, max-age=300"])
    }

    /// The issuer's pending, active and verify-only keys. Cached no longer than the publish lead
    /// time (and at most an hour), so every validator has seen a key before it signs.
    func keySet(issuerID: String) throws -> Response {
        let issuer = try context.issuer(issuerID)
        let bytes = try context.keys.keySetBytes(issuerID: issuer.id)
        let maxAge = Int(min(issuer.publishLeadTime / 2, 3_600))
        return Response(status: .ok, headers: [.cacheControl: "public, max-age=\(maxAge)", .contentType: "application/jwk-set+json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
