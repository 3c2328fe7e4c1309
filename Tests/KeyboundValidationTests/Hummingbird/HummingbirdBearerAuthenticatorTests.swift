import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
import Testing

/// `BearerAuthenticator` in-process: RFC 6750 header parsing, 401/400 answers with the Keybound
/// code, the identity in the context, optional authentication and the audit hook.
@Suite("Hummingbird: bearer authentication")
struct HummingbirdBearerAuthenticatorTests {
    typealias Authenticator = BearerAuthenticator<KeyboundRequestContext>

    @Test("a valid token reaches the route with every identity field")
    func validToken() async throws {
        let fixture = try HBFixture()
        let tokenID = "jti-\(UUID().uuidString)"
        let signed = try TokenSigner(key: fixture.keyA).signed(claims: HBFixture.claims(scope: "Mail.Read Mail.Send", tokenID: tokenID))
        let digest = SHA256.hash(data: signed.payload).map { String(format: "%02x", $0) }.joined()
        try await HBFixture.app(Authenticator(verifier: fixture.provider)).test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(signed.token))
            #expect(response.status == .ok)
            let body = try HBFixture.body(response)
            #expect(body["outcome"] == .string("authenticated"))
            #expect(body["iss"] == .string(HBFixture.issuerA))
            #expect(body["tid"] == .string(HBFixture.tenantA))
            #expect(body["sub"] == .string("alice"))
            #expect(body["client_id"] == .string("mail-client"))
            #expect(body["scopes"] == .array([.string("Mail.Read"), .string("Mail.Send")]))
            #expect(body["roles"] == .array([]))
            #expect(body["jti"] == .string(tokenID))
            #expect(body["kid"] == .string(fixture.keyA.keyID))
            #expect(body["aud"] == .array([.string(HBFixture.audience)]))
            #expect(body["iat"] == .number(HBFixture.t0.timeIntervalSince1970))
            #expect(body["exp"] == .number(HBFixture.t0.timeIntervalSince1970 + 600))
            #expect(body["app"] == .bool(false))
            #expect(body["digest"] == .string(digest))
            #expect(digest.count == 64 && digest == digest.lowercased())
        }
    }

    @Test("the Bearer scheme matches in any letter case", arguments: ["bearer", "BEARER", "BeArEr", "Bearer"])
    func schemeCase(scheme: String) async throws {
        let fixture = try HBFixture()
        let token = try fixture.userToken()
        try await HBFixture.app(Authenticator(verifier: fixture.provider)).test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token, scheme: scheme))
            #expect(response.status == .ok)
            #expect(try HBFixture.body(response)["sub"] == .string("alice"))
        }
    }

    @Test("no token, or another scheme, gets 401 with a challenge that names no error (RFC 6750 §3.1)")
    func missingToken() async throws {
        let fixture = try HBFixture()
        try await HBFixture.app(Authenticator(realm: "mail", verifier: fixture.provider)).test(.router) { client async throws in
            let cases: [HTTPFields] = [[:], [.authorization: "Basic YWxpY2U6c2VjcmV0"], [.authorization: "Bearerx abc"]]
            for headers in cases {
                let response = try await client.execute(uri: "/me", method: .get, headers: headers)
                #expect(response.status == .unauthorized, "\(headers)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"mail\"", "\(headers)")
                #expect(response.headers[.wwwAuthenticate]?.contains("error") == false)
            }
        }
    }

    @Test("a token that is not a JWS gets 401 invalid_token with the Keybound code")
    func garbageToken() async throws {
        let fixture = try HBFixture()
        try await HBFixture.app(Authenticator(verifier: fixture.provider)).test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer("abc.def"))
            #expect(response.status == .unauthorized)
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix("Bearer realm=\"keybound\", error=\"invalid_token\", error_description=\"malformed_token: "))
            let body = try HBFixture.body(response)
            #expect(body["error"] == .string("invalid_token"))
            #expect(body["keybound_code"] == .string("malformed_token"))
            #expect(body["error_description"]?.stringValue?.hasPrefix("malformed_token: ") == true)
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test("malformed Authorization headers get 400 invalid_request", arguments: [
        ["Bearer"], ["Bearer "], ["Bearer a b"], ["Bearer a,b"], ["Bearer\tabc"], ["Bearer ab=c"], ["Bearer =abc"],
        ["Bearer abc", "Bearer abc"], ["Bearer abc", "Basic YWxpY2U6c2VjcmV0"],
    ])
    func malformedHeader(values: [String]) async throws {
        let fixture = try HBFixture()
        var fields = HTTPFields()
        for value in values { fields.append(HTTPField(name: .authorization, value: value)) }
        let headers = fields
        #expect(headers[values: .authorization].count == values.count)
        try await HBFixture.app(Authenticator(required: false, verifier: fixture.provider)).test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: headers)
            #expect(response.status == .badRequest)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer realm=\"keybound\", error=\"invalid_request\"") == true)
            #expect(try HBFixture.body(response)["error"] == .string("invalid_request"))
        }
    }

    @Test("two Authorization headers are refused even if both carry the same valid token")
    func duplicateValidHeaders() async throws {
        let fixture = try HBFixture()
        let token = try fixture.userToken()
        var fields = HTTPFields()
        fields.append(HTTPField(name: .authorization, value: "Bearer \(token)"))
        fields.append(HTTPField(name: .authorization, value: "Bearer \(token)"))
        let headers = fields
        try await HBFixture.app(Authenticator(verifier: fixture.provider)).test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: headers)
            #expect(response.status == .badRequest)
            // The same token alone passes: the refusal is the duplicate header, not the token.
            let single = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token))
            #expect(single.status == .ok)
        }
    }

    /// The verifier's codes reach the response for each kind of bad token.
    static func rejectionCode(_ token: String, fixture: HBFixture) async throws -> (HTTPResponse.Status, JSONValue?) {
        try await HBFixture.app(Authenticator(verifier: fixture.provider)).test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token))
            return (response.status, try HBFixture.body(response)["keybound_code"])
        }
    }

    @Test("a token of an untrusted issuer is refused as untrusted_issuer")
    func untrustedIssuer() async throws {
        let fixture = try HBFixture()
        let token = try TokenSigner(key: fixture.keyEvil).sign(claims: HBFixture.claims(issuer: HBFixture.issuerEvil, tenant: nil))
        let (status, code) = try await Self.rejectionCode(token, fixture: fixture)
        #expect(status == .unauthorized)
        #expect(code == .string("untrusted_issuer"))
    }

    @Test("a token claiming fabrikam but signed with contoso's real key is issuer_key_mismatch, an alert")
    func crossIssuerForgery() async throws {
        let fixture = try HBFixture()
        let header = JSONObject(["alg": .string("ES256"), "kid": .string(fixture.keyA.keyID), "typ": .string("at+jwt")])
        let claims = HBFixture.claims(issuer: HBFixture.issuerB, tenant: HBFixture.tenantB)
        let forged = try TokenSigner(key: fixture.keyA).sign(header: header, payload: JSONWriter().bytes(.object(claims)))
        let outcomes = HBRecorder<AuthenticationOutcome>()
        let app = HBFixture.app(Authenticator(verifier: fixture.provider, onOutcome: { _, _, outcome in outcomes.append(outcome) }))
        try await app.test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(forged))
            #expect(response.status == .unauthorized)
            #expect(try HBFixture.body(response)["keybound_code"] == .string("issuer_key_mismatch"))
            #expect(response.headers[.wwwAuthenticate]?.contains("error_description=\"issuer_key_mismatch: ") == true)
        }
        let rejection = try #require(outcomes.all.first?.rejection)
        #expect(rejection.code == .issuerKeyMismatch)
        #expect(rejection.isAlert)
        #expect(rejection.keyIssuer == HBFixture.issuerA)
        // Signed by fabrikam's own key, the same claims pass.
        let genuine = try TokenSigner(key: fixture.keyB).sign(claims: claims)
        #expect(try await Self.rejectionCode(genuine, fixture: fixture).0 == .ok)
    }

    @Test("a token for another audience is refused as audience_mismatch")
    func wrongAudience() async throws {
        let fixture = try HBFixture()
        let token = try TokenSigner(key: fixture.keyA).sign(claims: HBFixture.claims(audience: "api://calendar"))
        let (status, code) = try await Self.rejectionCode(token, fixture: fixture)
        #expect(status == .unauthorized)
        #expect(code == .string("audience_mismatch"))
    }

    @Test("an expired token is refused as token_expired")
    func expired() async throws {
        let fixture = try HBFixture()
        let token = try TokenSigner(key: fixture.keyA).sign(claims: HBFixture.claims(issuedAt: HBFixture.t0.addingTimeInterval(-3600)))
        let (status, code) = try await Self.rejectionCode(token, fixture: fixture)
        #expect(status == .unauthorized)
        #expect(code == .string("token_expired"))
    }

    @Test("the provider is asked per request: revoking the key in the trust store refuses the next request")
    func revokedKeyWithoutCache() async throws {
        let fixture = try HBFixture()
        let token = try fixture.userToken()
        try await HBFixture.app(Authenticator(verifier: fixture.provider)).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token)).status == .ok)
            fixture.revoke(issuer: HBFixture.issuerA, keyID: fixture.keyA.keyID)
            let response = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token))
            #expect(response.status == .unauthorized)
            #expect(try HBFixture.body(response)["keybound_code"] == .string("key_revoked"))
        }
    }

    @Test("optional authentication lets a request without a token through, but still refuses a bad token")
    func optionalAuthentication() async throws {
        let fixture = try HBFixture()
        let token = try fixture.userToken()
        try await HBFixture.app(Authenticator(required: false, verifier: fixture.provider)).test(.router) { client async throws in
            let anonymous = try await client.execute(uri: "/me", method: .get)
            #expect(anonymous.status == .ok)
            #expect(try HBFixture.body(anonymous)["anonymous"] == .bool(true))
            #expect(try HBFixture.body(anonymous)["outcome"] == .string("missing"))
            let bad = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token + "x"))
            #expect(bad.status == .unauthorized)
            #expect(try HBFixture.body(bad)["error"] == .string("invalid_token"))
            let good = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token))
            #expect(try HBFixture.body(good)["sub"] == .string("alice"))
        }
    }

    @Test("onOutcome is called exactly once per request, before the answer, with the right outcome")
    func outcomeHook() async throws {
        let fixture = try HBFixture()
        let token = try fixture.userToken()
        let seen = HBRecorder<String>()
        let authenticator = Authenticator(verifier: fixture.provider) { request, context, outcome in
            // The context handed to the hook already records the outcome.
            #expect(context.authenticationOutcome?.label == outcome.label)
            #expect((context.identity != nil) == (outcome.identity != nil))
            var entry = "\(request.uri.path) \(outcome.label)"
            if let rejection = outcome.rejection { entry += " \(rejection.code)" }
            if let identity = outcome.identity { entry += " \(identity.subject ?? "-")" }
            seen.append(entry)
        }
        var fields = HTTPFields()
        fields.append(HTTPField(name: .authorization, value: "Bearer a"))
        fields.append(HTTPField(name: .authorization, value: "Bearer b"))
        let twoHeaders = fields
        try await HBFixture.app(authenticator).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token)).status == .ok)
            #expect(try await client.execute(uri: "/me", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer("junk")).status == .unauthorized)
            #expect(try await client.execute(uri: "/me", method: .get, headers: twoHeaders).status == .badRequest)
            // A route that does not exist is still authenticated first, and recorded once.
            #expect(try await client.execute(uri: "/nowhere", method: .get, headers: HBFixture.bearer(token)).status == .notFound)
        }
        #expect(seen.all == [
            "/me authenticated alice",
            "/me missing",
            "/me rejected malformed_token",
            "/me malformed_header",
            "/nowhere authenticated alice",
        ])
    }

    @Test("challenge parameters are escaped and kept on one printable ASCII line")
    func challengeEscaping() async throws {
        let issuer = "https://evil.test/\"quoted\"\\slash\u{e9}"
        let fixture = try HBFixture()
        let key = try SigningKey.generate(algorithm: .es256, issuer: issuer)
        let token = try TokenSigner(key: key).sign(claims: HBFixture.claims(issuer: issuer, tenant: nil))
        try await HBFixture.app(Authenticator(realm: "a \"b\"", verifier: fixture.provider)).test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token))
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix("Bearer realm=\"a \\\"b\\\"\", error=\"invalid_token\""))
            #expect(challenge.contains("https://evil.test/\\\"quoted\\\"\\\\slash?"))
            #expect(challenge.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) })
            // The JSON body keeps the reason as it is.
            let description = try HBFixture.body(response)["error_description"]?.stringValue
            #expect(description?.contains(issuer) == true)
        }
        #expect(BearerError.quoted("a\r\nb\u{0}\"\\") == "\"a  b \\\"\\\\\"")
    }

    @Test("the header parser accepts exactly one b64token after the scheme")
    func parser() {
        #expect(BearerCredentials.parse("Bearer abc.DEF-_~+/==") == .token("abc.DEF-_~+/=="))
        #expect(BearerCredentials.parse("bearer   abc") == .token("abc"))
        #expect(BearerCredentials.parse("  Bearer abc  ") == .token("abc"))
        #expect(BearerCredentials.parse("Basic abc") == .missing)
        #expect(BearerCredentials.parse("Bearertoken") == .missing)
        for bad in ["Bearer", "Bearer ", "Bearer a b", "Bearer a=b", "Bearer =", "Bearer a\"b", "Bearer \u{e9}", "Bearer\tabc"] {
            if case .malformed = BearerCredentials.parse(bad) {} else { Issue.record("accepted '\(bad)'") }
        }
    }
}
