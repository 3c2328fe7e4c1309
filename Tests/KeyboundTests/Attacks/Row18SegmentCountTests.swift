import Foundation
import Testing
import Keybound

/// Attack catalog row 18: trailing dots and extra or missing segments. A compact JWS has exactly
/// three segments and a non-empty header: everything else is `malformed_token`. An empty payload
/// is a valid JWS (RFC 7515) but no token: its claims are refused with `malformed_claims`.
@Suite("Row 18: segment count")
struct Row18SegmentCountTests {
    static func variants(_ token: String) -> [(String, String)] {
        let p = AttackEncoding.segments(token)
        return [
            ("h.p.s.", token + "."),
            ("h.p.s.x", token + ".x"),
            ("h.p.s..", token + ".."),
            ("h.p.s.x.y.z", token + ".x.y.z"),
            ("h.p", p[0] + "." + p[1]),
            ("h", p[0]),
            (".p.s", "." + p[1] + "." + p[2]),
            ("..s", ".." + p[2]),
            (".h.p.s", "." + token),
            ("h.p..s", p[0] + "." + p[1] + ".." + p[2]),
            ("empty", ""),
            (".", "."),
            ("..", ".."),
            ("...", "..."),
        ]
    }

    @Test("Wrong segment structures → malformed_token")
    func wrongStructures() throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.legitToken()
        fixture.expectAccepted(token)
        for (name, variant) in Self.variants(token) {
            #expect(fixture.code(variant) == .malformedToken, "\(name)")
        }
    }

    @Test("An empty payload segment is a JWS but no token → malformed_claims")
    func emptyPayload() throws {
        let fixture = try AttackFixture()
        let p = AttackEncoding.segments(try AttackFixture.legitToken())
        #expect(fixture.code(p[0] + ".." + p[2]) == .malformedClaims)
    }
}
