import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// Redirect URIs, audiences, roles and client and issuer ids are compared by exact bytes: a string
/// that is canonically equivalent but byte-different (KELVIN SIGN U+212A for "K", "e" + U+0301 for
/// "é") is a different identifier — refused, and never confused with the registered one.
@Suite("Provider: identifiers by exact bytes")
struct ExactBytesTests {
    static let kelvin = "\u{212A}"
    static let composedCafe = "caf\u{E9}"
    static let decomposedCafe = "cafe\u{301}"

    /// The fixture plus a resource `api://Kiosk` and `api://café` on contoso, a client `Kiosk` holding
    /// their roles, and a public client redirecting to `https://app.example/Kiosk`.
    static func fixture() async throws -> ProviderFixture {
        let fixture = try await ProviderFixture()
        let store = fixture.store
        try store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://Kiosk", scopes: ["Menu.Read"], roles: ["Reports.Read"]))
        try store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://\(composedCafe)", scopes: ["Menu.Read"], roles: ["Menu.Read.All"]))
        try store.insert(ClientRecord(issuerID: "contoso", clientID: "Kiosk", name: "Kiosk", authenticationMethod: .clientSecretBasic,
                                      secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: ["client_credentials"],
                                      roles: ["api://Kiosk/Reports.Read", "api://\(composedCafe)/Menu.Read.All"], createdAt: Date()))
        try store.insert(ClientRecord(issuerID: "contoso", clientID: "kiosk-web", name: "Kiosk Web", authenticationMethod: .none,
                                      redirectURIs: ["https://app.example/Kiosk"], grantTypes: ["authorization_code"], createdAt: Date()))
        return fixture
    }

    @Test("a canonically equivalent audience in scope or resource is refused, the exact one works")
    func audiences() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let basic = ProviderFixture.basic("Kiosk", ProviderFixture.secret)
            for scope in ["api://\(Self.kelvin)iosk/.default", "api://\(Self.decomposedCafe)/.default",
                          "api://\(Self.kelvin)iosk/Reports.Read", "api://\(Self.decomposedCafe)/Menu.Read.All"] {
                let response = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "client_credentials"), ("scope", scope)],
                                                              authorization: basic)
                #expect(response.status == .badRequest, "scope \(scope.unicodeScalars.map { String($0.value, radix: 16) })")
                #expect(try ProviderFixture.json(response)["error"] == .string("invalid_scope"))
            }
            for resource in ["api://\(Self.kelvin)iosk", "api://\(Self.decomposedCafe)"] {
                let response = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "client_credentials"), ("resource", resource)],
                                                              authorization: basic)
                #expect(response.status == .badRequest)
                #expect(try ProviderFixture.json(response)["error"] == .string("invalid_target"))
            }
            for (scope, audience) in [("api://Kiosk/.default", "api://Kiosk"), ("api://\(Self.composedCafe)/.default", "api://\(Self.composedCafe)")] {
                let response = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "client_credentials"), ("scope", scope)],
                                                              authorization: basic)
                #expect(response.status == .ok)
                let token = try #require(try ProviderFixture.json(response)["access_token"]?.stringValue)
                guard case .string(let aud)? = ProviderFixture.claims(token)["aud"] else { Issue.record("no aud"); continue }
                #expect(aud.isExactly(audience))
            }
        }
    }

    @Test("delegated scopes and narrowing match resources by exact bytes")
    func delegatedScopes() throws {
        let resources = [ResourceRecord(issuerID: "contoso", audience: "api://\(Self.composedCafe)", scopes: ["Menu.Read"], roles: [])]
        #expect(throws: OAuthError.self) {
            try GrantedScope.delegated(scope: "api://\(Self.decomposedCafe)/Menu.Read", resourceParameter: nil, resources: resources)
        }
        #expect(throws: OAuthError.self) {
            try GrantedScope.delegated(scope: "openid", resourceParameter: "api://\(Self.decomposedCafe)", resources: resources)
        }
        let granted = try GrantedScope.delegated(scope: "openid api://\(Self.composedCafe)/Menu.Read", resourceParameter: nil, resources: resources)
        #expect(granted.resource?.isExactly("api://\(Self.composedCafe)") == true)
        #expect(granted.shortResourceScopes == ["Menu.Read"])
        #expect(throws: OAuthError.self) { try granted.narrowed(to: "api://\(Self.decomposedCafe)/Menu.Read") }
    }

    @Test("a redirect URI equivalent to a registered one is not registered")
    func redirectURIs() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let base: [(String, String)] = [("response_type", "code"), ("client_id", "kiosk-web"), ("scope", "openid"),
                                            ("code_challenge", ProviderFixture.challenge), ("code_challenge_method", "S256")]
            let forged = try await client.execute(
                uri: "/contoso/authorize?" + String(buffer: ProviderFixture.form(base + [("redirect_uri", "https://app.example/\(Self.kelvin)iosk")])),
                method: .get)
            #expect(forged.status != .ok && forged.status != .seeOther && forged.status != .found)
            #expect(forged.headers[.location] == nil)
            let exact = try await client.execute(
                uri: "/contoso/authorize?" + String(buffer: ProviderFixture.form(base + [("redirect_uri", "https://app.example/Kiosk")])),
                method: .get)
            #expect(exact.status == .ok)
        }
    }

    @Test("a client id equivalent to another is unknown, and does not poison the directory cache for the real one")
    func clientIDs() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let parameters = [("grant_type", "client_credentials"), ("scope", "api://Kiosk/.default")]
            let forged = try await ProviderFixture.post(client, "/contoso/token", parameters,
                                                        authorization: ProviderFixture.basic("\(Self.kelvin)iosk", ProviderFixture.secret))
            #expect(forged.status == .unauthorized)
            // Within the cache's lifetime: the real client still authenticates.
            let real = try await ProviderFixture.post(client, "/contoso/token", parameters,
                                                      authorization: ProviderFixture.basic("Kiosk", ProviderFixture.secret))
            #expect(real.status == .ok)
            let again = try await ProviderFixture.post(client, "/contoso/token", parameters,
                                                       authorization: ProviderFixture.basic("\(Self.kelvin)iosk", ProviderFixture.secret))
            #expect(again.status == .unauthorized)
        }
    }

    @Test("the shared helpers match bytes, not canonical equivalence")
    func helpers() {
        #expect("\(Self.kelvin)iosk" == "Kiosk")   // Swift's own == says equal…
        #expect(!["Kiosk"].containsExactly("\(Self.kelvin)iosk"))   // …Keybound's does not.
        #expect(!"api://\(Self.decomposedCafe)/x".hasExactPrefix("api://\(Self.composedCafe)/"))
        #expect("api://\(Self.composedCafe)/x".droppingExactPrefix("api://\(Self.composedCafe)/") == "x")
        #expect(Set(["Kiosk".exact, "\(Self.kelvin)iosk".exact]).count == 2)
    }
}
