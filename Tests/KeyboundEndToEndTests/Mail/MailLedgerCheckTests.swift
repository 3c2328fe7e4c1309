import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundAudit
@testable import KeyboundMail
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// The online forgery check in the provider's process: a token signed by its own issuer's real key
/// is still refused unless the issuance ledger holds it with the same claims.
@Suite("Keybound Mail: issuance-ledger check")
struct MailLedgerCheckTests {
    @Test("A consumer token forged with the consumer issuer's own key is refused: token_not_issued (an alert)")
    func forgedWithValidKey() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let stolen = try await fixture.context.manager.signingKey(issuerID: "consumers")
        let token = try fixture.forge(with: stolen, issuer: fixture.issuerURL("consumers"), tenant: IssuerRecord.wellKnownConsumerTenantID)
        // The signature and every claim check pass: only the ledger can tell.
        let plain = await TokenVerifier(trust: try fixture.context.keys.trust(), policy: MailService.policy())
        #expect(plain.verify(token).rejection == nil)
        try await fixture.withClients { _, mail in
            let response = try await MailFixture.get(mail, "/users/user@consumers.example/messages", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("token_not_issued") == true)
        }
        let record = try fixture.lastAudit()
        #expect(record.rejectionCode == "token_not_issued")
        #expect(fixture.context.alerts.alerts().map(\.code) == ["token_not_issued"])
    }

    @Test("A real jti with altered claims is refused: token_claims_mismatch")
    func alteredClaims() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let key = try await fixture.context.manager.signingKey(issuerID: "contoso")
        try await fixture.withClients { provider, mail in
            let real = try await MailFixture.appToken(provider, issuer: "contoso")
            var claims = ProviderFixture.claims(real)
            claims["roles"] = .array([.string("Mail.Read.All"), .string("AuditLog.Read.All")])
            let header = JSONObject(["alg": .string("ES256"), "kid": .string(key.keyID), "typ": .string("at+jwt")])
            let altered = try TokenSigner(key: key).sign(header: header, payload: JSONWriter().bytes(.object(claims)))
            let response = try await MailFixture.get(mail, "/audit/records", token: altered)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("token_claims_mismatch") == true)
            #expect(try fixture.lastAudit().rejectionCode == "token_claims_mismatch")
        }
    }

    @Test("A token revoked at the provider (RFC 7009) is refused by the mail service: token_revoked")
    func revokedToken() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.appToken(provider, issuer: "contoso")
            let revoke = try await ProviderFixture.post(provider, "/contoso/revoke", [("token", token)],
                                                        authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
            #expect(revoke.status == .ok)
            let response = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("token_revoked") == true)
        }
    }
}
