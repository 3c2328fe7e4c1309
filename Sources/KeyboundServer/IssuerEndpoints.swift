import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Per-issuer discovery and key-set endpoints. Each issuer lives under its own path and publishes
/// only its own keys: there is no common key set.
struct IssuerEndpoints: Sendable {
    let manager: KeyManager
    let configuration: ServerConfiguration

    func register(on router: Router<BasicRequestContext>) {
        router.get("/:issuer/.well-known/openid-configuration") { request, context in
            try discovery(issuerID: try context.parameters.require("issuer"))
        }
        router.get("/:issuer/.well-known/oauth-authorization-server") { request, context in
            try discovery(issuerID: try context.parameters.require("issuer"))
        }
        router.get("/:issuer/jwks") { request, context in
            try keySet(issuerID: try context.parameters.require("issuer"))
        }
    }

    func issuer(_ id: String) throws -> IssuerRecord {
        let result: Result<IssuerRecord, StoreError> = Result { () throws(StoreError) in try manager.issuer(id: id) }
        switch result {
        case .success(let issuer):
            return issuer
        case .failure(let error):
            if error.code == .issuerNotFound { throw OAuthError.notFound("no issuer '\(id)'") }
            throw error
        }
    }

    /// OpenID Connect Discovery 1.0 / RFC 8414 metadata: only what this server implements so far
    /// (the token, authorization and introspection endpoints are added as they land).
    func discovery(issuerID: String) throws -> Response {
        let issuer = try issuer(issuerID)
        let base = configuration.issuerURL(issuer.id)
        let document = JSONObject([
            "issuer": .string(issuer.url),
            "jwks_uri": .string("\(base)/jwks"),
            "response_types_supported": .array([.string("code")]),
            "subject_types_supported": .array([.string("public")]),
            "id_token_signing_alg_values_supported": .array([.string(issuer.algorithm.rawValue)]),
        ])
        return JSONResponse.make(document, headers: [.cacheControl: "max-age=300"])
    }

    /// The issuer's pending, active and verify-only keys. Cached no longer than the publish lead
    /// time (and at most an hour), so every validator has seen a key before it signs.
    func keySet(issuerID: String) throws -> Response {
        let issuer = try issuer(issuerID)
        let keySet = try manager.publishedKeySet(issuerID: issuer.id)
        let maxAge = Int(min(issuer.publishLeadTime / 2, 3_600))
        return JSONResponse.make(keySet, headers: [.cacheControl: "public, max-age=\(maxAge)", .contentType: "application/jwk-set+json"])
    }
}
