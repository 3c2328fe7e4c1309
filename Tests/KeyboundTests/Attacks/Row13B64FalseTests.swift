import Foundation
import Testing
import Keybound

/// Attack catalog row 13: RFC 7797 unencoded payloads (`b64:false`). A JWT never uses them:
/// `b64` in any form is `forbidden_header`; a raw payload containing `.` breaks the three-segment
/// rule (`malformed_token`).
@Suite("Row 13: b64 false")
struct Row13B64FalseTests {
    @Test("Classic HS256 with b64:false and crit [b64] → forbidden_header")
    func classicHS256() throws {
        let fixture = try AttackFixture()
        let header = #"{"alg":"HS256","b64":false,"crit":["b64"]}"#
        let token = AttackEncoding.b64(header) + "." + AttackEncoding.b64(AttackFixture.claims()) + "." + AttackEncoding.b64([UInt8](repeating: 1, count: 32))
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("ES256 with b64:false (with and without crit), signed over the raw payload → forbidden_header",
          arguments: [#","b64":false,"crit":["b64"]"#, #","b64":false"#, #","b64":true"#])
    func es256RawPayload(extra: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: extra)
        let payload = "cmF3"  // a raw payload with only base64url characters
        let signingInput = AttackEncoding.b64(header) + "." + payload
        let token = try AttackFixture.sign(signingInput: signingInput, with: AttackKeys.es256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("ES256 with b64:false and an ordinary base64url payload, validly signed → forbidden_header")
    func es256EncodedPayload() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: #","b64":false,"crit":["b64"]"#)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("A raw JSON payload containing '.' in compact form → malformed_token")
    func rawPayloadWithDot() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: #","b64":false,"crit":["b64"]"#)
        let signingInput = AttackEncoding.b64(header) + "." + AttackFixture.claims()
        let token = try AttackFixture.sign(signingInput: signingInput, with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedToken)
    }
}
