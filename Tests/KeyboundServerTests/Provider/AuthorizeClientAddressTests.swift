import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Testing
import KeyboundTesting

/// Whose address a sign-in is throttled under: the TCP peer, unless the peer is a configured trusted
/// proxy, and then the nearest untrusted address in its `Forwarded` or `X-Forwarded-For` header.
@Suite("Provider: sign-in client address and trusted proxies")
struct AuthorizeClientAddressTests {
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    static func resolve(peer: String?, trusted: [String], headers: [(String, String)]) -> String? {
        let proxies = try! TrustedProxies.parse(trusted).get()
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return ClientAddressResolver(trustedProxies: proxies).clientAddress(peer: peer.map(address), headers: fields)?.description
    }

    @Test("addresses and blocks parse strictly", arguments: [
        ("10.0.0.0/8", true), ("192.0.2.7", true), ("2001:db8::/32", true), ("::1", true), ("0.0.0.0/0", true),
        ("10.0.0.1/8", false), ("10.0.0.0/33", false), ("::/129", false), ("10.0.0.0/", false), ("10.0.0.0/-1", false),
        ("proxy.internal", false), ("", false), ("10.0.0", false), ("fe80::1%eth0", false), ("1.2.3.4/08x", false),
    ])
    func rangeParsing(text: String, valid: Bool) {
        #expect((IPAddressRange(text) != nil) == valid, "\(text)")
    }

    @Test("an IPv4-mapped IPv6 peer is its IPv4 address; blocks match by prefix and family")
    func matching() throws {
        let block = try #require(IPAddressRange("10.0.0.0/8"))
        #expect(block.contains(Self.address("10.200.3.4")))
        #expect(block.contains(Self.address("::ffff:10.1.2.3")))
        #expect(!block.contains(Self.address("11.0.0.1")))
        #expect(!block.contains(Self.address("::a00:1")))
        let six = try #require(IPAddressRange("2001:db8::/32"))
        #expect(six.contains(Self.address("2001:db8:ffff::1")))
        #expect(!six.contains(Self.address("2001:db9::1")))
        #expect(Self.address("::ffff:192.0.2.1").description == "192.0.2.1")
    }

    /// One resolution case: the peer, the trusted blocks, the headers, the expected client.
    struct Case: Sendable, CustomTestStringConvertible {
        let peer: String?
        let trusted: [String]
        let headers: [(String, String)]
        let expected: String?
        var testDescription: String { "\(peer ?? "no peer") \(trusted) \(headers) -> \(expected ?? "nil")" }
        init(_ peer: String?, _ trusted: [String], _ headers: [(String, String)], _ expected: String?) {
            self.peer = peer; self.trusted = trusted; self.headers = headers; self.expected = expected
        }
    }

    static let cases: [Case] = [
        // No trusted proxies: headers never count.
        Case(nil as String?, [String](), [("X-Forwarded-For", "198.51.100.7")], nil as String?),
        Case("127.0.0.1", [], [("X-Forwarded-For", "198.51.100.7")], "127.0.0.1"),
        Case("127.0.0.1", [], [("Forwarded", "for=198.51.100.7")], "127.0.0.1"),
        // An untrusted peer, with proxies configured: still the peer.
        Case("192.0.2.50", ["10.0.0.0/8"], [("X-Forwarded-For", "198.51.100.7")], "192.0.2.50"),
        // A trusted peer: the rightmost untrusted entry; forged entries further left do not count.
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "203.0.113.9, 198.51.100.7, 10.0.0.6")], "198.51.100.7"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "198.51.100.7:5123")], "198.51.100.7"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "[2001:db8::7]:443")], "2001:db8::7"),
        Case("::ffff:10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        // Only trusted entries: the leftmost of them. No header: the peer.
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "10.1.1.1, 10.2.2.2")], "10.1.1.1"),
        Case("10.0.0.5", ["10.0.0.0/8"], [], "10.0.0.5"),
        // Something that is not an address stops the walk at the hop that reported it.
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "198.51.100.7, unknown")], "10.0.0.5"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("X-Forwarded-For", "198.51.100.7, garbage, 10.0.0.9")], "10.0.0.9"),
        // RFC 7239 Forwarded: quoted IPv6 with a port, several elements, case-insensitive parameter names.
        Case("10.0.0.5", ["10.0.0.0/8"], [("Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43")], "192.0.2.60"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("Forwarded", "for=\"[2001:db8:cafe::17]:4711\"")], "2001:db8:cafe::17"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("Forwarded", "for=203.0.113.9, For=198.51.100.7;proto=https, for=10.0.0.6")], "198.51.100.7"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("Forwarded", "for=_hidden")], "10.0.0.5"),
        Case("10.0.0.5", ["10.0.0.0/8"], [("Forwarded", "proto=https")], "10.0.0.5"),
        // Forwarded is read when present; X-Forwarded-For is then ignored.
        Case("10.0.0.5", ["10.0.0.0/8"], [("Forwarded", "for=192.0.2.60"), ("X-Forwarded-For", "198.51.100.7")], "192.0.2.60"),
    ]

    @Test("the client address behind proxies", arguments: cases)
    func resolution(_ example: Case) {
        #expect(Self.resolve(peer: example.peer, trusted: example.trusted, headers: example.headers) == example.expected)
    }

    /// GET the login page and POST it with `headers` added to both requests.
    static func signIn(_ client: some TestClientProtocol, username: String, password: String = "wrong",
                       headers extra: HTTPFields = [:]) async throws -> TestResponse {
        let page = try await client.execute(uri: "/contoso/authorize?\(ProviderFixture.authorizeQuery())", method: .get, headers: extra)
        #expect(page.status == .ok)
        var headers = ProviderFixture.formHeaders
        headers.append(contentsOf: extra)
        headers[.cookie] = page.headers[.setCookie]?.split(separator: ";").first.map(String.init) ?? ""
        var fields = ProviderFixture.hiddenFields(String(buffer: page.body))
        fields += [("username", username), ("password", password)]
        return try await client.execute(uri: "/contoso/authorize", method: .post, headers: headers, body: ProviderFixture.form(fields))
    }

    static func forwardedFor(_ address: String) -> HTTPFields {
        [HTTPField.Name("X-Forwarded-For")!: address]
    }

    @Test("from an untrusted peer a forged X-Forwarded-For is ignored: a new forged address per attempt still hits the peer's limit")
    func forgedHeaderIgnored() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function)
        defer { fixture.remove() }
        try await fixture.liveApp.test(.live) { client in
            for attempt in 1...AuthorizeThrottleTests.addressAllowance {
                let response = try await Self.signIn(client, username: "guess-\(attempt)", headers: Self.forwardedFor("198.51.100.\(attempt)"))
                #expect(response.status == .unauthorized, "attempt \(attempt)")
            }
            let response = try await Self.signIn(client, username: "fresh", headers: Self.forwardedFor("203.0.113.200"))
            _ = try AuthorizeThrottleTests.expectThrottled(response)
        }
    }

    @Test("behind a trusted proxy, X-Forwarded-For names the client: one client's limit does not throttle another behind the same proxy")
    func trustedProxyHonoured() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function) { configuration in
            configuration.trustedProxies = try! TrustedProxies.parse(["127.0.0.1"]).get()
        }
        defer { fixture.remove() }
        try await fixture.liveApp.test(.live) { client in
            for attempt in 1...AuthorizeThrottleTests.addressAllowance {
                let response = try await Self.signIn(client, username: "guess-\(attempt)", headers: Self.forwardedFor("198.51.100.7"))
                #expect(response.status == .unauthorized, "attempt \(attempt)")
            }
            _ = try AuthorizeThrottleTests.expectThrottled(try await Self.signIn(client, username: "fresh", headers: Self.forwardedFor("198.51.100.7")))
            // Another client behind the proxy, and the proxy itself, are not throttled.
            #expect(try await Self.signIn(client, username: "fresh", headers: Self.forwardedFor("198.51.100.8")).status == .unauthorized)
            #expect(try await Self.signIn(client, username: "user", password: ProviderFixture.password).status == .seeOther)
            // The throttled client cannot escape by prepending a forged hop: the rightmost untrusted entry counts.
            _ = try AuthorizeThrottleTests.expectThrottled(
                try await Self.signIn(client, username: "fresh2", headers: Self.forwardedFor("203.0.113.1, 198.51.100.7")))
        }
    }
}
