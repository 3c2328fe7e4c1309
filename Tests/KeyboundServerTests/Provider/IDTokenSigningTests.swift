import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// ID tokens are signed with the issuer's RS256 ID-token key (OpenID Connect Core §15.1) unless the
/// client's `id_token_signed_response_alg` asks for the issuer's own algorithm; access tokens keep
/// the issuer's algorithm and its access-token key.
@Suite("Provider: ID-token keys and id_token_signed_response_alg")
struct IDTokenSigningTests {
    static let adminToken = String(repeating: "k", count: 40)

    static func header(_ token: String) -> JSONObject { TokenInspection(token: token, now: Date()).header ?? JSONObject() }

    static func activeKeyID(_ fixture: ProviderFixture, _ issuer: String, _ purpose: KeyPurpose) async throws -> String {
        try await #require(try fixture.context.manager.keys(issuerID: issuer).first { $0.state == .active && $0.purpose == purpose }).keyID
    }

    @Test("the ID token is RS256 with the ID-token key and verifies with the issuer's JWKS; the access token keeps ES256",
          arguments: ["consumers", "contoso"])
    func defaultRS256(issuer: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: issuer)
            let idToken = try #require(tokens["id_token"]?.stringValue)
            let accessToken = try #require(tokens["access_token"]?.stringValue)
            #expect(Self.header(idToken)["alg"] == .string("RS256"))
            await #expect(Self.header(idToken)["kid"] == .string(try Self.activeKeyID(fixture, issuer, .idToken)))
            #expect(Self.header(accessToken)["alg"] == .string("ES256"))
            await #expect(Self.header(accessToken)["kid"] == .string(try Self.activeKeyID(fixture, issuer, .accessToken)))

            // What a relying party does: fetch the JWKS and verify the RS256 signature with the ID token's kid.
            let jwks = try await client.execute(uri: "/\(issuer)/jwks", method: .get)
            let keySet = try JWKSet(jsonObject: try ProviderFixture.json(jwks))
            let verified = try JWSVerifier(keySet: keySet).verify(idToken).get()
            #expect(verified.algorithm == .rs256)
            let claims = try StrictJSONParser.parseObject(verified.payload)
            #expect(claims["iss"] == .string(fixture.configuration.issuerURL(issuer)))
            #expect(claims["aud"] == .string("web"))
            // at_hash follows the ID token's alg: SHA-256 for RS256.
            let digest = Array(SHA256.hash(data: Array(accessToken.utf8)))
            #expect(claims["at_hash"] == .string(Base64URL.encode(digest.prefix(16))))
            // The ledger records the ID token under the key that signed it.
            let jti = try #require(claims["jti"]?.stringValue)
            await #expect(try fixture.store.issuance(issuerID: issuer, tokenID: jti)?.keyID == (try Self.activeKeyID(fixture, issuer, .idToken)))
        }
    }

    @Test("a client that asks for the issuer's algorithm gets ID tokens signed with the access-token key")
    func clientAsksForIssuerAlgorithm() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        var web = try #require(try fixture.store.client(issuerID: "contoso", clientID: "web"))
        web.idTokenSignedResponseAlgorithm = .es256
        try fixture.store.update(web)
        #expect(try fixture.store.client(issuerID: "contoso", clientID: "web")?.idTokenSignedResponseAlgorithm == .es256)
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let idToken = try #require(tokens["id_token"]?.stringValue)
            #expect(Self.header(idToken)["alg"] == .string("ES256"))
            await #expect(Self.header(idToken)["kid"] == .string(try Self.activeKeyID(fixture, "contoso", .accessToken)))
            // The other issuer's client of the same id is untouched: RS256.
            let other = try await ProviderFixture.codeFlow(client, issuer: "consumers")
            #expect(Self.header(try #require(other["id_token"]?.stringValue))["alg"] == .string("RS256"))
        }
    }

    @Test("an access token re-signed with the ID-token key is not an access token at the provider")
    func idTokenKeySignsNoAccessToken() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let token = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            #expect(try await ProviderRequests.isActive(client, token))
            // Same payload (so same ledger digest), signed with the issuer's own ID-token key.
            let idKey = try await fixture.context.manager.signingKey(issuerID: "contoso", purpose: .idToken)
            let payload = try #require(Base64URL.decode(String(token.split(separator: ".")[1])))
            let header = JSONObject(["alg": .string("RS256"), "kid": .string(idKey.keyID), "typ": .string("at+jwt")])
            let resigned = try TokenSigner(key: idKey).sign(header: header, payload: payload)
            #expect(try await ProviderRequests.isActive(client, resigned) == false)
        }
    }

    @Test("admin API: id_token_signed_response_alg is RS256 by default, the issuer's algorithm if asked, anything else 400; keys show their purpose")
    func adminAPI() async throws {
        let fixture = try await ProviderFixture(adminToken: Self.adminToken)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            func create(_ id: String, _ alg: String?) async throws -> TestResponse {
                var body = "{\"client_id\":\"\(id)\",\"name\":\"RP\",\"token_endpoint_auth_method\":\"none\","
                    + "\"grant_types\":[\"authorization_code\"],\"redirect_uris\":[\"\(ProviderFixture.redirect)\"]"
                if let alg { body += ",\"id_token_signed_response_alg\":\"\(alg)\"" }
                body += "}"
                return try await client.execute(uri: "/admin/issuers/contoso/clients", method: .post,
                                                headers: [.authorization: "Bearer \(Self.adminToken)", .contentType: "application/json"],
                                                body: ByteBuffer(string: body))
            }
            let plain = try await create("rp-default", nil)
            #expect(plain.status == .created)
            #expect(try ProviderFixture.json(plain)["id_token_signed_response_alg"] == .string("RS256"))
            let asked = try await create("rp-es256", "ES256")
            #expect(asked.status == .created)
            #expect(try ProviderFixture.json(asked)["id_token_signed_response_alg"] == .string("ES256"))
            #expect(try fixture.store.client(issuerID: "contoso", clientID: "rp-es256")?.idTokenSignedResponseAlgorithm == .es256)
            // No algorithm at all (the document's enum refuses it): invalid_request; an algorithm this
            // issuer does not sign ID tokens with (the document allows it): invalid_settings.
            for (refused, error) in [("PS256", "invalid_settings"), ("none", "invalid_request"), ("HS256", "invalid_request"),
                                     ("rs256", "invalid_request"), ("", "invalid_request")] {
                let response = try await create("rp-\(refused.lowercased())x", refused)
                #expect(response.status == .badRequest, "\(refused)")
                #expect(try ProviderFixture.json(response)["error"] == .string(error), "\(refused)")
            }

            let keys = try await client.execute(uri: "/admin/issuers/contoso/keys", method: .get,
                                                headers: [.authorization: "Bearer \(Self.adminToken)"])
            let listed = try ProviderFixture.json(keys)["keys"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(Set(listed.compactMap { $0["purpose"]?.stringValue }) == ["access-token", "id-token"])
            #expect(listed.first { $0["purpose"] == .string("id-token") }?["alg"] == .string("RS256"))
            let shown = try ProviderFixture.json(try await client.execute(uri: "/admin/issuers/contoso", method: .get,
                                                                          headers: [.authorization: "Bearer \(Self.adminToken)"]))
            await #expect(shown["active_id_token_kid"] == .string(try Self.activeKeyID(fixture, "contoso", .idToken)))
            await #expect(shown["active_kid"] == .string(try Self.activeKeyID(fixture, "contoso", .accessToken)))
        }
    }

    @Test("a provider over a store from before key purposes signs ID tokens at once: the key cache runs the tick that creates the key")
    func oldStoreNeedsNoOperator() async throws {
        let kek = KeyEncryptionKey.generate()
        let old = try await StoreFixture.beforePurposes(kek: kek)
        defer { old.remove() }
        let context = await ProviderContext(manager: try old.open(), store: try SQLiteProviderStore(directory: old.directory),
                                      configuration: ServerConfiguration(publicURL: "https://login.keybound.test"))
        await #expect(try context.manager.keys(issuerID: "consumers").allSatisfy { $0.purpose == .accessToken })
        let signer = try await context.keys.signer(issuerID: "consumers", purpose: .idToken)
        #expect(signer.key.algorithm == .rs256)
        await #expect(try context.manager.signingKey(issuerID: "consumers", purpose: .idToken).keyID == signer.key.keyID)
    }
}
