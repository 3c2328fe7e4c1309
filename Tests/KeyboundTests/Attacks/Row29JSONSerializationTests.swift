import Foundation
import Testing
import Keybound

/// Attack catalog row 29: JSON serialization, unprotected headers and compact/JSON polyglots
/// (CVE-2022-39227). Keybound accepts the compact form only: `malformed_token`.
@Suite("Row 29: JSON serialization and polyglots")
struct Row29JSONSerializationTests {
    @Test("General JSON serialization with an unprotected kid → malformed_token")
    func generalSerialization() throws {
        let fixture = try AttackFixture()
        let p = AttackEncoding.segments(try AttackFixture.legitToken())
        let forged = AttackEncoding.signature(of: try AttackFixture.sign(header: AttackFixture.header(AttackKeys.attackerES256),
                                                                          payload: AttackFixture.claims(), with: AttackKeys.attackerES256))
        let json = #"{"payload":"\#(p[1])","signatures":[{"protected":"\#(p[0])","signature":"\#(p[2])"},"#
            + #"{"protected":"\#(AttackEncoding.b64(#"{"alg":"ES256"}"#))","header":{"kid":"attacker-es256"},"signature":"\#(AttackEncoding.b64(forged))"}]}"#
        fixture.expectRejected(json, .malformedToken)
    }

    @Test("Flattened JSON serialization → malformed_token")
    func flattenedSerialization() throws {
        let fixture = try AttackFixture()
        let p = AttackEncoding.segments(try AttackFixture.legitToken())
        let json = #"{"protected":"\#(p[0])","header":{"kid":"attack-es256"},"payload":"\#(p[1])","signature":"\#(p[2])"}"#
        fixture.expectRejected(json, .malformedToken)
    }

    @Test("A compact/JSON polyglot (python-jwt CVE-2022-39227 shape) → malformed_token")
    func polyglot() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let p = AttackEncoding.segments(legit)
        let forgedPayload = AttackEncoding.b64(AttackFixture.claims([("sub", AttackFixture.quoted("admin"))]))
        let polyglot = #"{"  \#(p[0]).\#(forgedPayload).":"","protected":"\#(p[0])","payload":"\#(p[1])","signature":"\#(p[2])"}"#
        fixture.expectRejected(polyglot, .malformedToken)
    }

    @Test("A valid compact token followed by a JSON object → malformed_token")
    func compactThenJSON() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        fixture.expectRejected(legit + #"{"header":{"kid":"x"}}"#, .malformedToken)
    }
}
