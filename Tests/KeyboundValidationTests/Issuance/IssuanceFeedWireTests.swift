import Crypto
import Foundation
import Keybound
import KeyboundTesting
@testable import KeyboundValidation
import Testing

/// What a validator reads off the wire for the remote forgery check: feed events, status answers
/// and the discovery fields. Anything not exactly well formed is refused, never guessed.
@Suite("Issuance feed: events, status answers and discovery fields, read strictly")
struct IssuanceFeedWireTests {
    static let digest = String(repeating: "ab", count: 32)

    static func event(_ type: String, _ data: String, id: String = "7") -> ServerSentEvent {
        ServerSentEvent(type: type, data: data, lastEventID: id)
    }

    @Test("an issued event carries a 64-hex-digit claims digest; a revoked one a reason; a contradicting id or bad digest is refused")
    func feedEvents() {
        let issued = ParsedTokenEvent.parse(Self.event("issued", #"{"sequence":7,"iss":"https://i","jti":"t1","exp":1900000000,"claims_digest":"\#(Self.digest)"}"#))
        #expect(issued?.change == .issued(claimsDigest: Array(repeating: 0xAB, count: 32)) && issued?.tokenID == "t1" && issued?.sequence == 7)
        let revoked = ParsedTokenEvent.parse(Self.event("revoked", #"{"sequence":7,"iss":"https://i","jti":"t1","exp":1900000000,"reason":"client_revocation"}"#))
        #expect(revoked?.change == .revoked(reason: "client_revocation"))
        for bad in [
            Self.event("issued", #"{"sequence":7,"iss":"https://i","jti":"t1","exp":1900000000,"claims_digest":"\#(Self.digest.uppercased())"}"#),
            Self.event("issued", #"{"sequence":7,"iss":"https://i","jti":"t1","exp":1900000000,"claims_digest":"\#(Self.digest.dropLast(2))"}"#),
            Self.event("issued", #"{"sequence":7,"iss":"https://i","jti":"t1","exp":1900000000,"reason":"client_revocation"}"#),
            Self.event("issued", #"{"sequence":7,"iss":"https://i","jti":"t1","exp":1900000000,"claims_digest":"\#(Self.digest)"}"#, id: "8"),
            Self.event("revoked", #"{"sequence":7,"iss":"https://i","jti":"","exp":1900000000,"reason":"x"}"#),
            Self.event("rotated", #"{"sequence":7,"iss":"https://i","jti":"t1","exp":1900000000,"reason":"x"}"#),
        ] {
            #expect(ParsedTokenEvent.parse(bad) == nil, "\(bad.data)")
        }
    }

    @Test("a status answer counts only when it is about exactly the token asked for")
    func statusAnswers() {
        func parse(_ text: String, _ jti: String = "t1") -> RemoteIssuanceStatus { HTTPIssuanceStatus.parse(Array(text.utf8), tokenID: jti) }
        #expect(parse(#"{"status":"issued","jti":"t1","exp":1900000000,"claims_digest":"\#(Self.digest)"}"#)
                == .issued(claimsDigest: Array(repeating: 0xAB, count: 32), expiresAt: Date(timeIntervalSince1970: 1_900_000_000)))
        #expect(parse(#"{"status":"revoked","jti":"t1","exp":1900000000}"#) == .revoked)
        #expect(parse(#"{"status":"not_issued","jti":"t1"}"#) == .notIssued)
        #expect(parse(#"{"status":"not_issued","jti":"t2"}"#) == .unavailable, "another token's answer")
        #expect(parse(#"{"status":"issued","jti":"t1","exp":1900000000}"#) == .unavailable, "no digest")
        #expect(parse(#"{"status":"maybe","jti":"t1"}"#) == .unavailable)
        #expect(parse("") == .unavailable)
    }

    @Test("discovery's feed endpoints must be on the issuer's origin; none advertised is nil")
    func advertisedFeed() throws {
        let issuer = "https://id.example.test/contoso"
        func parse(_ members: KeyValuePairs<String, JSONValue>) throws(RemoteTrustError) -> AdvertisedIssuanceFeed? {
            try AdvertisedIssuanceFeed.parse(JSONObject(members), issuerURL: issuer, insecureHTTP: false)
        }
        let feed = try parse(["issuance_feed_endpoint": .string(issuer + "/token-events"),
                              "issuance_status_endpoint": .string(issuer + "/token-status")])
        #expect(feed?.feed.absoluteString == issuer + "/token-events" && feed?.status?.absoluteString == issuer + "/token-status")
        #expect(try parse(["jwks_uri": .string(issuer + "/jwks")]) == nil)
        #expect(throws: RemoteTrustError.self) { try parse(["issuance_feed_endpoint": .string("https://evil.example.test/token-events")]) }
        #expect(throws: RemoteTrustError.self) {
            try parse(["issuance_feed_endpoint": .string(issuer + "/token-events"), "issuance_status_endpoint": .string("https://evil.example.test/s")])
        }
        #expect(throws: RemoteTrustError.self) { try parse(["issuance_feed_endpoint": .number(1)]) }
    }

    @Test("two trusted issuer URLs that String equality would merge are refused: their state and credentials would mix")
    func canonicallyEquivalentIssuersRefused() {
        #expect(throws: RemoteTrustError.self) {
            try RemoteTrustStore.Configuration(issuers: [.init(url: "https://id.example.test/caf\u{E9}"),
                                                         .init(url: "https://id.example.test/cafe\u{301}")])
        }
        #expect(throws: RemoteTrustError.self) {
            try RemoteTrustStore.Configuration(issuers: [.init(url: "https://id.example.test/a"), .init(url: "https://id.example.test/a")])
        }
        #expect(throws: Never.self) {
            try RemoteTrustStore.Configuration(issuers: [.init(url: "https://id.example.test/a"), .init(url: "https://id.example.test/b")])
        }
    }
}
