import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundServer
import KeyboundStore
import Testing

/// Every MUST of OpenID Connect Discovery 1.0 (§3, §4) and RFC 8414 (§2, §3) that a provider's
/// metadata can break, one row each, checked on the document served at every well-known location
/// of each issuer, for a public URL with and without a path.
@Suite("Provider: discovery conformance (OIDC Discovery 1.0, RFC 8414)")
struct DiscoveryConformanceTests {
    /// One requirement: where it comes from, and the problem with `document` (nil when it holds).
    struct Requirement: Sendable {
        let source: String
        let check: @Sendable (_ document: JSONObject, _ issuerURL: String) -> String?
    }

    static func strings(_ value: JSONValue?) -> [String]? { value?.arrayValue?.map { $0.stringValue ?? "<not a string>" } }

    static func httpsURL(_ name: String, _ document: JSONObject, under issuerURL: String) -> String? {
        guard let text = document[name]?.stringValue else { return "\(name) is missing" }
        guard let url = URL(string: text), url.scheme == "https", url.host != nil, url.fragment == nil else { return "\(name) '\(text)' is not an https URL" }
        guard text.hasPrefix(issuerURL + "/") else { return "\(name) '\(text)' is not one of the issuer's own endpoints" }
        return nil
    }

    static func nonEmptyList(_ name: String, _ document: JSONObject) -> String? {
        guard let values = strings(document[name]) else { return "\(name) is missing or not an array" }
        return values.isEmpty ? "\(name) is empty" : nil
    }

    static func signingAlgorithms(_ name: String, when methods: String, _ document: JSONObject) -> String? {
        let offered = strings(document[methods]) ?? []
        let needsList = offered.contains("private_key_jwt") || offered.contains("client_secret_jwt")
        guard let algorithms = strings(document[name]) else { return needsList ? "\(name) is required because \(methods) offers a JWT method" : nil }
        if algorithms.contains("none") { return "\(name) lists none" }
        return algorithms.isEmpty ? "\(name) is empty" : nil
    }

    static let requirements: [Requirement] = [
        Requirement(source: "Discovery §3 / RFC 8414 §2: issuer REQUIRED, https, no query or fragment, exactly the issuer URL") { document, issuerURL in
            guard let issuer = document["issuer"]?.stringValue else { return "issuer is missing" }
            guard issuer.isExactly(issuerURL) else { return "issuer '\(issuer)' is not exactly '\(issuerURL)'" }
            guard let url = URL(string: issuer), url.scheme == "https", url.query == nil, url.fragment == nil else { return "issuer is not https without query/fragment" }
            return nil
        },
        Requirement(source: "Discovery §3 / RFC 8414 §2: authorization_endpoint REQUIRED (https)") { httpsURL("authorization_endpoint", $0, under: $1) },
        Requirement(source: "Discovery §3 / RFC 8414 §2: token_endpoint REQUIRED (https)") { httpsURL("token_endpoint", $0, under: $1) },
        Requirement(source: "Discovery §3: jwks_uri REQUIRED; RFC 8414 §2: https") { httpsURL("jwks_uri", $0, under: $1) },
        Requirement(source: "Discovery §3: userinfo_endpoint MUST use https") { httpsURL("userinfo_endpoint", $0, under: $1) },
        Requirement(source: "RFC 8414 §2: introspection and revocation endpoints, when given, are the issuer's https URLs") { document, issuerURL in
            httpsURL("introspection_endpoint", document, under: issuerURL) ?? httpsURL("revocation_endpoint", document, under: issuerURL)
        },
        Requirement(source: "Discovery §3 / RFC 8414 §2: response_types_supported REQUIRED (and code is the flow served)") { document, _ in
            nonEmptyList("response_types_supported", document) ?? (strings(document["response_types_supported"])!.contains("code") ? nil : "code is not listed")
        },
        Requirement(source: "Discovery §3: subject_types_supported REQUIRED, of public and pairwise") { document, _ in
            nonEmptyList("subject_types_supported", document)
                ?? (strings(document["subject_types_supported"])!.allSatisfy { ["public", "pairwise"].contains($0) } ? nil : "unknown subject type")
        },
        Requirement(source: "Discovery §3: id_token_signing_alg_values_supported REQUIRED, RS256 MUST be included") { document, _ in
            nonEmptyList("id_token_signing_alg_values_supported", document)
                ?? (strings(document["id_token_signing_alg_values_supported"])!.contains("RS256") ? nil : "RS256 is not listed")
        },
        Requirement(source: "Discovery §3: id_token_signing_alg_values_supported lists none only without ID tokens from the authorization endpoint") { document, _ in
            (strings(document["id_token_signing_alg_values_supported"]) ?? []).contains("none") ? "none is listed" : nil
        },
        Requirement(source: "Discovery §3: scopes_supported, when given, includes openid") { document, _ in
            guard let scopes = strings(document["scopes_supported"]) else { return nil }
            return scopes.contains("openid") ? nil : "openid is not listed"
        },
        Requirement(source: "Discovery §3 / RFC 8414 §2: token_endpoint_auth_signing_alg_values_supported present for JWT methods, never none") { document, _ in
            signingAlgorithms("token_endpoint_auth_signing_alg_values_supported", when: "token_endpoint_auth_methods_supported", document)
        },
        Requirement(source: "RFC 8414 §2: revocation_endpoint_auth_signing_alg_values_supported present for JWT methods, never none") { document, _ in
            signingAlgorithms("revocation_endpoint_auth_signing_alg_values_supported", when: "revocation_endpoint_auth_methods_supported", document)
        },
        Requirement(source: "RFC 8414 §2: introspection_endpoint_auth_signing_alg_values_supported present for JWT methods, never none") { document, _ in
            signingAlgorithms("introspection_endpoint_auth_signing_alg_values_supported", when: "introspection_endpoint_auth_methods_supported", document)
        },
        Requirement(source: "RFC 8414 §3.2: claims with zero elements MUST be omitted") { document, _ in
            document.members.first { $0.value.arrayValue?.isEmpty == true }.map { "\($0.name) is an empty array" }
        },
        Requirement(source: "Discovery §3 / RFC 8414 §2: *_supported booleans are JSON booleans") { document, _ in
            for name in ["claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported",
                         "authorization_response_iss_parameter_supported"] {
                if let value = document[name], value.boolValue == nil { return "\(name) is not a boolean" }
            }
            return nil
        },
        Requirement(source: "RFC 8414 §2: grant_types_supported and response_modes_supported hold registered values only") { document, _ in
            let grants = strings(document["grant_types_supported"]) ?? []
            let modes = strings(document["response_modes_supported"]) ?? []
            if let grant = grants.first(where: { !["authorization_code", "implicit", "client_credentials", "refresh_token", "password"].contains($0) }) {
                return "grant type '\(grant)'"
            }
            return modes.allSatisfy { ["query", "fragment", "form_post"].contains($0) } ? nil : "unknown response mode"
        },
        Requirement(source: "RFC 8414 §2: code_challenge_methods_supported, when given, lists PKCE methods (S256)") { document, _ in
            guard let methods = strings(document["code_challenge_methods_supported"]) else { return nil }
            return methods.allSatisfy { ["S256", "plain"].contains($0) } && methods.contains("S256") ? nil : "\(methods)"
        },
    ]

    /// A public URL without a path, and one behind a path (the issuer's URL then has two segments).
    static let publicURLs = ["https://id.keybound.test", "https://login.keybound.test/idp"]

    /// Every location each standard derives from issuer `id`'s URL, as this server receives them:
    /// `<issuer>/.well-known/openid-configuration` (the path prefix stripped by the proxy in front),
    /// `https://host/.well-known/oauth-authorization-server/<issuer path>` (RFC 8414 §3.1, as is),
    /// and the appended RFC 8414 form some clients use.
    static func locations(_ id: String, publicURL: String) -> [String] {
        let issuerPath = URL(string: "\(publicURL)/\(id)")!.path
        return ["/\(id)/.well-known/openid-configuration", "/.well-known/oauth-authorization-server\(issuerPath)",
                "/\(id)/.well-known/oauth-authorization-server"]
    }

    @Test("every MUST holds for every issuer at every well-known location", arguments: publicURLs)
    func requirementsHold(publicURL: String) async throws {
        let fixture = try await ProviderFixture(publicURL: publicURL)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            for id in ["consumers", "contoso"] {
                let issuerURL = "\(publicURL)/\(id)"
                var documents: [JSONObject] = []
                for location in Self.locations(id, publicURL: publicURL) {
                    let response = try await client.execute(uri: location, method: .get)
                    // Discovery §4.2, RFC 8414 §3.2: 200 OK, application/json.
                    #expect(response.status == .ok, "\(location)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(location)")
                    let document = try ProviderFixture.json(response)
                    for requirement in Self.requirements {
                        let problem = requirement.check(document, issuerURL)
                        #expect(problem == nil, "\(location): \(requirement.source): \(problem ?? "")")
                    }
                    documents.append(document)
                }
                // Discovery §4.3 / RFC 8414 §3.3: the same issuer whichever location was asked.
                #expect(Set(documents.map { JSONWriter().string(.object($0)) }).count == 1, "\(id): the locations disagree")
            }
        }
    }

    @Test("the RFC 8414 location answers only the exact issuer path: no other spelling reaches an issuer's metadata")
    func insertedPathIsExact() async throws {
        let fixture = try await ProviderFixture(publicURL: "https://login.keybound.test/idp")
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            for path in ["/.well-known/oauth-authorization-server/contoso",       // the issuer has the /idp prefix
                         "/.well-known/oauth-authorization-server/other/contoso",
                         "/.well-known/oauth-authorization-server/idp/contoso/extra",
                         "/.well-known/oauth-authorization-server/idp/nobody",
                         "/.well-known/oauth-authorization-server/IDP/contoso",
                         "/.well-known/oauth-authorization-server"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
                #expect(try ProviderFixture.json(response)["error"] != nil, "\(path): an OAuth-style error body")
            }
        }
    }

    @Test("the JWKS behind jwks_uri: every key has kid, use: sig and alg; the ID-token algorithms listed are the keys'")
    func keySetMatchesMetadata() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let document = try ProviderFixture.json(try await client.execute(uri: "/contoso/.well-known/openid-configuration", method: .get))
            #expect(Self.strings(document["id_token_signing_alg_values_supported"]) == ["RS256", "ES256"])
            let keys = try ProviderFixture.json(try await client.execute(uri: "/contoso/jwks", method: .get))["keys"]?.arrayValue?
                .compactMap(\.objectValue) ?? []
            #expect(keys.count == 2)
            for key in keys {
                #expect(key["kid"]?.stringValue?.isEmpty == false)
                #expect(key["use"] == .string("sig"))
            }
            #expect(Set(keys.compactMap { $0["alg"]?.stringValue }) == ["RS256", "ES256"])
        }
    }
}
