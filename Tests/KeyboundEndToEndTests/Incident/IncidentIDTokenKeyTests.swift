import Foundation
import HummingbirdTesting
import Keybound
import KeyboundIncident
import KeyboundServer
import KeyboundStore
import Testing

/// `keybound incident respond` for an ID-token key: the key is revoked like any other, and the
/// fresh key that takes over is an ID-token key (RS256); the access-token key keeps signing.
@Suite("Incident response: an ID-token key")
struct IncidentIDTokenKeyTests {
    @Test("revoking a compromised ID-token key activates a fresh ID-token key, revokes the ID tokens it signed, and leaves access tokens alone")
    func idTokenKey() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let idToken = try await fixture.providerApp.test(.router) { client in
            try #require(try await ProviderFixture.codeFlow(client, issuer: "consumers")["id_token"]?.stringValue)
        }
        let idTokenID = try #require(ProviderFixture.claims(idToken)["jti"]?.stringValue)
        let manager = fixture.context.manager
        let keys = try await manager.keys(issuerID: "consumers")
        let idKey = try #require(keys.first { $0.purpose == .idToken && $0.state == .active })
        let accessKey = try #require(keys.first { $0.purpose == .accessToken && $0.state == .active })
        let responder = IncidentResponder(manager: manager, stores: try IncidentResponseTests.stores(fixture))
        let record = try await responder.respond(IncidentResponder.Request(issuerID: "consumers", keyID: idKey.keyID, reason: "ID-token key leaked"))
        #expect(record.isClosed)
        let after = try await manager.keys(issuerID: "consumers")
        #expect(after.first { $0.keyID == idKey.keyID }?.state == .revoked)
        let fresh = try #require(after.first { $0.keyID == record.freshKeyID })
        #expect(fresh.purpose == .idToken && fresh.state == .active && fresh.algorithm == .rs256)
        #expect(after.first { $0.keyID == accessKey.keyID }?.state == .active, "the access-token key is not the incident's")
        #expect(try fixture.provider.store.revocation(issuerID: "consumers", tokenID: idTokenID) != nil, "the ID tokens signed with the key are revoked")
        #expect(record.tokensRevoked == 1)
    }
}
