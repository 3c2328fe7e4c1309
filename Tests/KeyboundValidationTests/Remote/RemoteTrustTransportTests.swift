import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Testing

/// Where a remote validator fetches trust from: https only (plain http on loopback, or with the
/// explicit development switch), and the key set on the issuer's own origin unless the operator
/// names another.
@Suite("Resource side: remote trust is fetched over https, from the issuer's origin")
struct RemoteTrustTransportTests {
    @Test("plain http is refused off loopback; loopback and the development switch allow it", arguments: [
        ("http://id.example.com/contoso", false, false),
        ("http://10.0.0.7:8080/contoso", false, false),
        ("http://127.0.0.1:8080/contoso", false, true),
        ("http://localhost:8080/contoso", false, true),
        ("http://[::1]:8080/contoso", false, true),
        ("http://127.evil.example/contoso", false, false),
        ("https://id.example.com/contoso", false, true),
        ("http://id.example.com/contoso", true, true),
        ("ftp://id.example.com/contoso", true, false),
    ])
    func scheme(url: String, insecure: Bool, accepted: Bool) {
        let result = Result { try RemoteTrustStore.Configuration(issuers: [.init(url: url)], allowingInsecureHTTP: insecure) }
        #expect(((try? result.get()) != nil) == accepted, "\(url)")
    }

    @Test("a jwks_uri on another origin loads no keys, unless the trust entry names that origin")
    func jwksOrigin() async throws {
        let issuer = RemoteTrustFixture.issuer
        let key = try SigningKey.generate(algorithm: .es256, issuer: issuer)
        let provider = FakeProvider(issuer: issuer, keys: [key])
        provider.declare(jwksURI: "https://keys.attacker.example/jwks")
        let refused = RemoteTrustStore(configuration: try .init(issuers: [.init(url: issuer)]), fetcher: provider)
        await refused.refreshAll()
        #expect(!refused.isLoaded(issuer))
        #expect(refused.lastError(issuer)?.contains("not on the issuer's origin") == true)
        // Same host, another port or scheme, is another origin too.
        provider.declare(jwksURI: "http://id.example.test/contoso/jwks")
        let downgraded = RemoteTrustStore(configuration: try .init(issuers: [.init(url: issuer)]), fetcher: provider)
        await downgraded.refreshAll()
        #expect(!downgraded.isLoaded(issuer))
        provider.declare(jwksURI: "https://keys.example.test:8443/jwks")
        let named = RemoteTrustStore(configuration: try .init(issuers: [.init(url: issuer, jwksOrigin: "https://keys.example.test:8443")]),
                                     fetcher: provider)
        await named.refreshAll()
        #expect(named.isLoaded(issuer), "\(named.lastError(issuer) ?? "")")
    }
}
