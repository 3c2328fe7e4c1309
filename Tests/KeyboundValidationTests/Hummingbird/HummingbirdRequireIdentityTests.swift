import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Testing

/// `RequireIdentity` and `IdentityRequirement`: issuers by exact bytes, scopes or roles, the kind
/// of principal, 401/403 answers and the denial hook.
@Suite("Hummingbird: identity requirements")
struct HummingbirdRequireIdentityTests {
    typealias Authenticator = BearerAuthenticator<KeyboundRequestContext>
    typealias Require = RequireIdentity<KeyboundRequestContext>

    static func status(_ token: String?, require: Require, fixture: HBFixture) async throws -> (HTTPResponse.Status, TestResponse) {
        let app = HBFixture.app(Authenticator(required: false, verifier: fixture.provider), require: require)
        return try await app.test(.router) { client async throws in
            let response = try await client.execute(uri: "/me", method: .get, headers: token.map { HBFixture.bearer($0) } ?? [:])
            return (response.status, response)
        }
    }

    @Test("a token without any of the required scopes gets 403 insufficient_scope naming them")
    func missingScope() async throws {
        let fixture = try HBFixture()
        let require = try Require(allowedIssuers: [HBFixture.issuerA], anyOfScopes: ["Mail.Send", "Mail.ReadWrite"])
        let (status, response) = try await Self.status(try fixture.userToken(scope: "Mail.Read"), require: require, fixture: fixture)
        #expect(status == .forbidden)
        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer realm=\"keybound\", error=\"insufficient_scope\", ") == true)
        #expect(response.headers[.wwwAuthenticate]?.hasSuffix(", scope=\"Mail.ReadWrite Mail.Send\"") == true)
        let body = try HBFixture.body(response)
        #expect(body["error"] == .string("insufficient_scope"))
        #expect(body["scope"] == .string("Mail.ReadWrite Mail.Send"))
        // One of them is enough.
        let (allowed, _) = try await Self.status(try fixture.userToken(scope: "Mail.Read Mail.Send"), require: require, fixture: fixture)
        #expect(allowed == .ok)
    }

    @Test("a token of a trusted issuer that this resource does not allow gets 401 invalid_token")
    func disallowedIssuer() async throws {
        let fixture = try HBFixture()
        let require = try Require(allowedIssuers: [HBFixture.issuerA])
        let (status, response) = try await Self.status(try fixture.fabrikamToken(), require: require, fixture: fixture)
        #expect(status == .unauthorized)
        #expect(response.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
        #expect(try HBFixture.body(response)["error"] == .string("invalid_token"))
        #expect(try await Self.status(try fixture.userToken(), require: require, fixture: fixture).0 == .ok)
    }

    @Test("issuers are compared by exact bytes: no Unicode equivalence, no trailing slash")
    func exactIssuer() async throws {
        let fixture = try HBFixture()
        let token = try fixture.userToken()
        // U+212A KELVIN SIGN is canonically equivalent to "K": Swift's == says these are equal.
        let kelvin = HBFixture.issuerA.replacingOccurrences(of: "K", with: "\u{212A}")
        #expect(kelvin == HBFixture.issuerA && Array(kelvin.utf8) != Array(HBFixture.issuerA.utf8))
        for allowed in [kelvin, HBFixture.issuerA + "/", HBFixture.issuerA.lowercased()] {
            let (status, _) = try await Self.status(token, require: try Require(allowedIssuers: [allowed]), fixture: fixture)
            #expect(status == .unauthorized, "\(allowed)")
        }
    }

    @Test("an empty issuer set is refused: there is no 'any issuer'")
    func emptyIssuers() {
        #expect(throws: IdentityRequirementError.self) { try IdentityRequirement(allowedIssuers: []) }
        #expect(throws: IdentityRequirementError.self) { try IdentityRequirement(allowedIssuers: [""]) }
        #expect(throws: IdentityRequirementError.self) { try Require(allowedIssuers: [], anyOfScopes: ["Mail.Read"]) }
        #expect(throws: IdentityRequirementError.self) { try IdentityRequirement(allowedIssuers: ["x"], anyOfScopes: ["a b"]) }
    }

    @Test("no identity gets 401 with a bare challenge")
    func unauthenticated() async throws {
        let fixture = try HBFixture()
        let (status, response) = try await Self.status(nil, require: try Require(allowedIssuers: [HBFixture.issuerA]), fixture: fixture)
        #expect(status == .unauthorized)
        #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"keybound\"")
    }

    @Test("application and delegated tokens are told apart")
    func principalKinds() async throws {
        let fixture = try HBFixture()
        let appOnly = try Require(allowedIssuers: [HBFixture.issuerA], principal: .application)
        let userOnly = try Require(allowedIssuers: [HBFixture.issuerA], principal: .delegated)
        let app = try fixture.appToken()
        let user = try fixture.userToken()
        // idtyp "app" makes an application token even with a scope.
        let idtypApp = try TokenSigner(key: fixture.keyA).sign(claims: HBFixture.claims(extra: ["idtyp": .string("app")]))
        #expect(try await Self.status(app, require: appOnly, fixture: fixture).0 == .ok)
        #expect(try await Self.status(idtypApp, require: appOnly, fixture: fixture).0 == .ok)
        #expect(try await Self.status(user, require: userOnly, fixture: fixture).0 == .ok)
        let (appAtUser, response) = try await Self.status(app, require: userOnly, fixture: fixture)
        #expect(appAtUser == .forbidden)
        #expect(try HBFixture.body(response)["error"] == .string("insufficient_scope"))
        #expect(try await Self.status(user, require: appOnly, fixture: fixture).0 == .forbidden)
        #expect(try await Self.status(idtypApp, require: userOnly, fixture: fixture).0 == .forbidden)
    }

    @Test("a scope or a role suffices when both are listed; roles are compared exactly")
    func scopesOrRoles() async throws {
        let fixture = try HBFixture()
        let require = try Require(allowedIssuers: [HBFixture.issuerA], anyOfScopes: ["Mail.Read"], anyOfRoles: ["Mail.Read.All"])
        #expect(try await Self.status(try fixture.userToken(scope: "Mail.Read"), require: require, fixture: fixture).0 == .ok)
        #expect(try await Self.status(try fixture.appToken(roles: ["Mail.Read.All"]), require: require, fixture: fixture).0 == .ok)
        #expect(try await Self.status(try fixture.appToken(roles: ["mail.read.all"]), require: require, fixture: fixture).0 == .forbidden)
        #expect(try await Self.status(try fixture.userToken(scope: "Mail.Send"), require: require, fixture: fixture).0 == .forbidden)
    }

    @Test("onDenied is called once per refusal with its code, never for an allowed request")
    func deniedHook() async throws {
        let fixture = try HBFixture()
        let denials = HBRecorder<String>()
        let require = try Require(allowedIssuers: [HBFixture.issuerA], anyOfScopes: ["Mail.Read"]) { request, context, denial in
            denials.append("\(denial.code) \(denial.identity?.issuer ?? "-") \(context.authenticationOutcome?.label ?? "none")")
        }
        let app = HBFixture.app(Authenticator(required: false, verifier: fixture.provider), require: require)
        let allowed = try fixture.userToken()
        let noScope = try fixture.userToken(scope: "Calendars.Read")
        let fabrikam = try fixture.fabrikamToken()
        try await app.test(.router) { client async throws in
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(allowed)).status == .ok)
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(noScope)).status == .forbidden)
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(fabrikam)).status == .unauthorized)
            #expect(try await client.execute(uri: "/me", method: .get).status == .unauthorized)
        }
        #expect(denials.all == [
            "insufficient_scope \(HBFixture.issuerA) authenticated",
            "issuer_not_allowed \(HBFixture.issuerB) authenticated",
            "unauthenticated - missing",
        ])
    }

    @Test("a route can enforce a requirement itself")
    func routeLevel() async throws {
        let fixture = try HBFixture()
        let requirement = try IdentityRequirement(allowedIssuers: [HBFixture.issuerB], anyOfScopes: ["Mail.Read"])
        let app = HBFixture.app(Authenticator(verifier: fixture.provider), routeRequirement: requirement)
        let contoso = try fixture.userToken()
        let fabrikam = try fixture.fabrikamToken()
        let fabrikamNoScope = try fixture.fabrikamToken(scope: "Files.Read")
        try await app.test(.router) { client async throws in
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(fabrikam)).status == .ok)
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(contoso)).status == .unauthorized)
            let forbidden = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(fabrikamNoScope))
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.headers[.wwwAuthenticate]?.contains("scope=\"Mail.Read\"") == true)
        }
    }
}
