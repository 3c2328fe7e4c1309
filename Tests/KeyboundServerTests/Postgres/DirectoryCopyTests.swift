import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// On a shared store, `client_credentials` reads the client and resources from a copy of the
/// directory and its ledger commit checks the copy's version. These nodes have no change listener,
/// so node B's copy goes stale the moment node A changes the directory: only the commit's check
/// (and the fresh reads it leads to) stands between a stale copy and a token handed out.
@Suite("Server: directory copies checked at the commit", .timeLimit(.minutes(10)))
struct DirectoryCopyTests {
    static func token(_ client: some TestClientProtocol, id: String, secret: String) async throws -> TestResponse {
        try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                       authorization: ProviderFixture.basic(id, secret))
    }

    @Test("a client disabled or its secret rotated on node A takes effect on node B's next request, whatever B's copy says")
    func staleCopyNeverIssues() async throws {
        let fixture = try await StoreFixture(.postgres)
        defer { fixture.remove() }
        let configuration = ServerConfiguration(publicURL: "https://id.test")
        let nodeA = ProviderContext(manager: try await fixture.open(), store: try fixture.openProviderStore(), configuration: configuration)
        let nodeB = ProviderContext(manager: try await fixture.open(), store: try fixture.openProviderStore(), configuration: configuration)
        let created = try await DevelopmentBootstrap.run(context: nodeA, now: Date())
        let contoso = try #require(created.issuers.first { $0.issuer.id == "contoso" })
        let id = contoso.confidentialClientID, secret = contoso.clientSecret

        try await Application(router: KeyboundApplication.router(context: nodeB)).test(.router) { client in
            // B's copy is made, and used for a second request.
            #expect(try await Self.token(client, id: id, secret: secret).status == .ok)
            #expect(try await Self.token(client, id: id, secret: secret).status == .ok)

            // Disabled on A: B's copy still says enabled; the commit refuses, the fresh read says no.
            var record = try #require(try await nodeA.store.client(issuerID: "contoso", clientID: id))
            record.isDisabled = true
            try await nodeA.store.update(record)
            let disabled = try await Self.token(client, id: id, secret: secret)
            #expect(disabled.status == .unauthorized, "a disabled client got \(disabled.status)")

            // Enabled again with a new secret: the new one works at once on B, the old one never again.
            let newSecret = Secrets.random256()
            record.isDisabled = false
            record.secretHash = Secrets.hexDigest(newSecret)
            try await nodeA.store.update(record)
            #expect(try await Self.token(client, id: id, secret: newSecret).status == .ok, "the new secret, refused by B's stale copy")
            let old = try await Self.token(client, id: id, secret: secret)
            #expect(old.status == .unauthorized, "the old secret got \(old.status)")
            #expect(try await Self.token(client, id: id, secret: newSecret).status == .ok)
            let tokens = try await nodeB.store.issuances(issuerID: "contoso", keyID: try await nodeB.manager.signingKey(issuerID: "contoso").keyID)
            #expect(tokens.count == 4, "only the four granted tokens are in the ledger: \(tokens.count)")
        }
    }
}
