import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundServer
import KeyboundStore
import Synchronization
import Testing

/// A clock a test moves by hand, shared with the provider.
final class MovableClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func set(_ date: Date) { current.withLock { $0 = date } }
    var reader: @Sendable () -> Date { { [self] in self.now() } }
}

/// Tokens presented back to their own provider (introspection, userinfo, revocation) get no
/// clock-skew allowance: the provider's clock is the reference, so a token is expired at `exp`
/// (RFC 7519 §4.1.4), `active: false` at introspection (RFC 7662 §2.2, §4) and `invalid_token` at
/// userinfo (RFC 6750 §3.1), and revoking it changes nothing.
@Suite("Provider: expiry at the provider, without skew")
struct ProviderExpiryTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func expiry(of token: String) throws -> Date {
        Date(timeIntervalSince1970: try #require(ProviderFixture.claims(token)["exp"]?.numberValue))
    }

    @Test("introspection: active one second before exp, inactive at exp and at exp + 1 s")
    func introspection() async throws {
        let clock = MovableClock(Self.start)
        let fixture = try await ProviderFixture(clock: clock.reader)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let token = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let exp = try Self.expiry(of: token)
            for (offset, active) in [(-1.0, true), (0, false), (1, false)] {
                clock.set(exp.addingTimeInterval(offset))
                let body = try await ProviderRequests.introspect(client, token)
                #expect(body["active"] == .bool(active), "at exp \(offset >= 0 ? "+" : "")\(Int(offset)) s")
                if !active { #expect(body.names == ["active"]) }
            }
        }
    }

    @Test("userinfo: 200 one second before exp, 401 invalid_token at exp and at exp + 1 s")
    func userinfo() async throws {
        let clock = MovableClock(Self.start)
        let fixture = try await ProviderFixture(clock: clock.reader)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let token = try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso")["access_token"]?.stringValue)
            let exp = try Self.expiry(of: token)
            clock.set(exp.addingTimeInterval(-1))
            #expect(try await ProviderRequests.userinfo(client, token).status == .ok)
            for offset in [0.0, 1] {
                clock.set(exp.addingTimeInterval(offset))
                let response = try await ProviderRequests.userinfo(client, token)
                #expect(response.status == .unauthorized, "at exp + \(Int(offset)) s")
                #expect(response.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true, "at exp + \(Int(offset)) s")
            }
        }
    }

    @Test("revocation at exp changes nothing: the token is already dead")
    func revocation() async throws {
        let clock = MovableClock(Self.start)
        let fixture = try await ProviderFixture(clock: clock.reader)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let token = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let jti = try #require(ProviderFixture.claims(token)["jti"]?.stringValue)
            clock.set(try Self.expiry(of: token))
            let response = try await ProviderFixture.post(client, "/contoso/revoke", [("token", token)], authorization: ProviderRequests.daemon)
            #expect(response.status == .ok)
            #expect(try fixture.store.revocation(issuerID: "contoso", tokenID: jti) == nil)
        }
    }
}
