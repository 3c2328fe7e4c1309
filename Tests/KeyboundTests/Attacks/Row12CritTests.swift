import Foundation
import Testing
import Keybound

/// Attack catalog row 12: `crit` naming extensions the verifier may not understand. Keybound
/// understands no extension and never issues `crit`, so any `crit` (empty, unknown, standard
/// name, absent parameter, wrong type) is `forbidden_header`, even with a valid signature.
@Suite("Row 12: crit")
struct Row12CritTests {
    @Test("crit variants, validly signed → forbidden_header",
          arguments: [
            #","crit":["x-policy"],"x-policy":"allow-all""#,
            #","crit":["x-policy"]"#,
            #","crit":[]"#,
            #","crit":["alg"]"#,
            #","crit":["exp"]"#,
            #","crit":["x-a","x-a"],"x-a":1"#,
            #","crit":"x-policy""#,
            #","crit":null"#,
            #","crit":["b64"],"b64":true"#,
          ])
    func critRefused(extra: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: extra)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("crit in the JSON serialization's unprotected header cannot even be expressed → malformed_token")
    func critUnprotected() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let parts = AttackEncoding.segments(legit)
        let json = #"{"protected":"\#(parts[0])","header":{"crit":["x-policy"]},"payload":"\#(parts[1])","signature":"\#(parts[2])"}"#
        fixture.expectRejected(json, .malformedToken)
    }
}
