import Foundation
import Hummingbird
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundHummingbirdTesting
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import KeyboundTesting
import Logging
import Testing

@Suite("Resource side: remote trust of a live provider")
struct RemoteTrustLiveProviderTests {
    @Test("against a live Keybound provider over HTTP: loads both issuers and keeps each one's keys to itself")
    func liveProvider() async throws {
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let fixture = try await ProviderFixture(publicURL: base)
        defer { fixture.remove() }
        var quiet = Logger(label: "remote-trust")
        quiet.logLevel = .critical
        let app = Application(router: KeyboundApplication.router(context: fixture.context),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let server = GracefulServer(app)
        let store = RemoteTrustStore(configuration: try .init(issuers: [
            .init(url: base + "/consumers"), .init(url: base + "/contoso", tenantID: DevelopmentBootstrap.tenantID)]))
        for _ in 0..<100 where !store.isLoaded(base + "/contoso") || !store.isLoaded(base + "/consumers") {
            await store.refreshAll()
            if !store.isLoaded(base + "/contoso") { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(store.isLoaded(base + "/contoso"), "\(store.lastError(base + "/contoso") ?? "")")
        #expect(store.isLoaded(base + "/consumers"))
        let trust = store.trustStore()
        let contosoKey = try await fixture.context.manager.signingKey(issuerID: "contoso")
        let consumersKey = try await fixture.context.manager.signingKey(issuerID: "consumers")
        #expect(trust.issuer(base + "/contoso")?.keyIDs.contains(contosoKey.keyID) == true)
        #expect(trust.issuer(base + "/contoso")?.keyIDs.contains(consumersKey.keyID) == false)
        // A consumer key forging a contoso token: refused with the alert code.
        let at = Date().timeIntervalSince1970.rounded(.down)
        // The attacker holds the consumers key and signs a contoso token with it (TokenSigner refuses; the raw path does not).
        let forged = try TokenSigner(key: consumersKey).sign(
            header: JSONObject(["alg": .string("ES256"), "kid": .string(consumersKey.keyID), "typ": .string("at+jwt")]),
            payload: JSONWriter().bytes(.object(JSONObject([
                "iss": .string(base + "/contoso"), "sub": .string("victim"), "aud": .string("api://mail"), "exp": .number(at + 300),
                "iat": .number(at), "jti": .string("forged"), "client_id": .string("app"), "tid": .string(DevelopmentBootstrap.tenantID)]))))
        #expect(try TokenVerifier(trust: store.trustStore(), policy: try VerificationPolicy(audience: "api://mail")).verify(forged).rejection?.code == .issuerKeyMismatch)
        server.cancel()
        _ = await server.result
    }
}
