import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundServer
import KeyboundStore
import Testing

/// Each issuer's discovery document (OpenID Connect Discovery 1.0, RFC 8414): its own URLs only,
/// what it supports, and the same document at both well-known paths.
@Suite("Provider: discovery")
struct DiscoveryTests {
    static func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }

    @Test("the discovery document lists the issuer's own endpoints and what it supports", arguments: ["consumers", "contoso"])
    func document(issuer: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let response = try await client.execute(uri: "/\(issuer)/.well-known/openid-configuration", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(response.headers[.cacheControl]?.contains("no-store") != true)
            let document = try ProviderFixture.json(response)
            let base = "\(ProviderFixture.publicURL)/\(issuer)"
            #expect(document["issuer"] == .string(base))
            let endpoints = ["authorization_endpoint": "authorize", "token_endpoint": "token", "userinfo_endpoint": "userinfo",
                             "jwks_uri": "jwks", "introspection_endpoint": "introspect", "revocation_endpoint": "revoke"]
            for (name, path) in endpoints { #expect(document[name] == .string("\(base)/\(path)"), "\(name)") }
            // Nothing in the document points at another issuer.
            let other = issuer == "contoso" ? "consumers" : "contoso"
            #expect(!String(buffer: response.body).contains("/\(other)"))

            #expect(Self.strings(document["code_challenge_methods_supported"]) == ["S256"])
            #expect(Self.strings(document["response_types_supported"]) == ["code"])
            #expect(Self.strings(document["response_modes_supported"]) == ["query"])
            #expect(Set(Self.strings(document["grant_types_supported"])) == ["authorization_code", "client_credentials", "refresh_token"])
            #expect(Set(Self.strings(document["token_endpoint_auth_methods_supported"]))
                == ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"])
            #expect(!Self.strings(document["introspection_endpoint_auth_methods_supported"]).contains("none"))
            #expect(Self.strings(document["revocation_endpoint_auth_methods_supported"]).contains("client_secret_basic"))
            #expect(Self.strings(document["id_token_signing_alg_values_supported"]) == ["RS256", "ES256"])
            let assertionAlgorithms = Self.strings(document["token_endpoint_auth_signing_alg_values_supported"])
            #expect(!assertionAlgorithms.isEmpty && !assertionAlgorithms.contains { $0 == "none" || $0.hasPrefix("HS") })
            #expect(Self.strings(document["subject_types_supported"]) == ["public"])
            #expect(document["authorization_response_iss_parameter_supported"] == .bool(true))
            #expect(document["request_parameter_supported"] == .bool(false))
            #expect(document["request_uri_parameter_supported"] == .bool(false))
            let scopes = Set(Self.strings(document["scopes_supported"]))
            #expect(scopes.isSuperset(of: ["openid", "profile", "email", "offline_access", "api://mail/Mail.Read", "api://mail/Mail.Send"]))
            #expect(Set(Self.strings(document["claims_supported"])).isSuperset(of: ["sub", "iss", "aud", "exp", "iat", "nonce", "tid"]))
        }
    }

    @Test("the RFC 8414 path returns the same document", arguments: ["consumers", "contoso"])
    func rfc8414(issuer: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let oidc = try await client.execute(uri: "/\(issuer)/.well-known/openid-configuration", method: .get)
            let oauth = try await client.execute(uri: "/\(issuer)/.well-known/oauth-authorization-server", method: .get)
            #expect(oauth.status == .ok)
            #expect(try ProviderFixture.json(oauth) == (try ProviderFixture.json(oidc)))
            #expect(oauth.headers[.contentType] == oidc.headers[.contentType])
        }
    }

    @Test("scopes_supported follows the registered resources")
    func scopesFollowResources() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try fixture.store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://files", scopes: ["Files.Read"], roles: []))
        try await fixture.app.test(.router) { client in
            let contoso = try ProviderFixture.json(try await client.execute(uri: "/contoso/.well-known/openid-configuration", method: .get))
            let consumers = try ProviderFixture.json(try await client.execute(uri: "/consumers/.well-known/openid-configuration", method: .get))
            #expect(Self.strings(contoso["scopes_supported"]).contains("api://files/Files.Read"))
            #expect(!Self.strings(consumers["scopes_supported"]).contains("api://files/Files.Read"))
        }
    }

    @Test("jwks_uri publishes the key that signs the issuer's tokens and no other issuer's", arguments: ["consumers", "contoso"])
    func keySet(issuer: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let document = try ProviderFixture.json(try await client.execute(uri: "/\(issuer)/.well-known/openid-configuration", method: .get))
            let jwksURI = try #require(document["jwks_uri"]?.stringValue)
            let path = String(jwksURI.dropFirst(ProviderFixture.publicURL.count))
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/jwk-set+json")
            #expect(response.headers[.cacheControl]?.hasPrefix("public, max-age=") == true)
            let keys = try ProviderFixture.json(response)["keys"]?.arrayValue ?? []
            let kids = keys.compactMap { $0.objectValue?["kid"]?.stringValue }
            let token = try #require(try await ProviderFixture.codeFlow(client, issuer: issuer)["access_token"]?.stringValue)
            let kid = try #require(TokenInspection(token: token, now: Date()).header?["kid"]?.stringValue)
            #expect(kids.contains(kid))
            let other = issuer == "contoso" ? "consumers" : "contoso"
            let otherKids = try await fixture.context.manager.keys(issuerID: other).map(\.keyID)
            #expect(Set(kids).isDisjoint(with: otherKids))
            // Public keys only.
            for key in keys { #expect(key.objectValue?["d"] == nil) }
        }
    }
}
