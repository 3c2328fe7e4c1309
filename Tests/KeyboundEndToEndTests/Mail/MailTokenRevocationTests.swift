import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundAudit
import KeyboundMail
import KeyboundServer
import Testing

/// Token revocations inside the provider's process (`keybound serve --with-mail`): a token that
/// Keybound Mail's verified-token cache holds is refused on the very next request.
@Suite("Keybound Mail: token revocations reach the cache at once")
struct MailTokenRevocationTests {
    static let messages = "/users/\(MailFixture.otherUserAddress)/messages"

    /// Requests that must succeed and leave the token in the cache. (Twice: the first request after
    /// the trust version is first read cannot cache, as the version change empties the cache.)
    static func cached(_ fixture: MailFixture, _ mail: some TestClientProtocol, _ token: String, path: String = messages) async throws {
        for _ in 0..<2 {
            let response = try await MailFixture.get(mail, path, token: token)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
        }
        let cache = try #require(fixture.mail.cache)
        #expect(cache.identity(for: token, now: Date()) != nil, "the token is cached")
    }

    static func expectRevoked(_ fixture: MailFixture, _ mail: some TestClientProtocol, _ token: String, path: String = messages) async throws {
        let response = try await MailFixture.get(mail, path, token: token)
        #expect(response.status == .unauthorized)
        #expect(response.headers[.wwwAuthenticate]?.contains("token_revoked") == true, "\(response.headers[.wwwAuthenticate] ?? "")")
        #expect(try fixture.lastAudit().rejectionCode == "token_revoked")
    }

    @Test("RFC 7009: a cached application token is refused on the next request (token_revoked)")
    func revokedByClient() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let token = try await MailFixture.appToken(provider, issuer: "contoso")
            try await Self.cached(fixture, mail, token)
            let revoke = try await ProviderFixture.post(provider, "/contoso/revoke", [("token", token)],
                                                        authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
            #expect(revoke.status == .ok)
            try await Self.expectRevoked(fixture, mail, token)
        }
    }

    @Test("refresh-token reuse: the cached access tokens of the chain are refused on the next request")
    func refreshReuse() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let tokens = try await ProviderFixture.codeFlow(provider, issuer: "contoso", scope: "openid offline_access api://mail/Mail.Read")
            let access = try #require(tokens["access_token"]?.stringValue)
            let refresh = try #require(tokens["refresh_token"]?.stringValue)
            let path = "/users/user@contoso.example/messages"
            try await Self.cached(fixture, mail, access, path: path)
            let first = try await ProviderRequests.refresh(provider, refresh)
            #expect(first.status == .ok)
            let rotated = try #require(try ProviderFixture.json(first)["access_token"]?.stringValue)
            try await Self.cached(fixture, mail, rotated, path: path)
            // The spent refresh token again: the whole chain is revoked.
            #expect(try await ProviderRequests.refresh(provider, refresh).status == .badRequest)
            try await Self.expectRevoked(fixture, mail, access, path: path)
            try await Self.expectRevoked(fixture, mail, rotated, path: path)
        }
    }

    @Test("authorization-code replay: the cached access token of the first redemption is refused on the next request")
    func codeReplay() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        try await fixture.withClients { provider, mail in
            let code = try await ProviderRequests.code(provider, scope: "openid api://mail/Mail.Read")
            let first = try await ProviderRequests.exchange(provider, code: code)
            #expect(first.status == .ok)
            let access = try #require(try ProviderFixture.json(first)["access_token"]?.stringValue)
            let path = "/users/user@contoso.example/messages"
            try await Self.cached(fixture, mail, access, path: path)
            #expect(try await ProviderRequests.exchange(provider, code: code).status == .badRequest)
            try await Self.expectRevoked(fixture, mail, access, path: path)
        }
    }
}
