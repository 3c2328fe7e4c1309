import Foundation
import Testing
import Keybound

/// Attack catalog row 14: a JWE handed to a JWS/JWT verifier. The verifier takes signed compact
/// tokens only; five segments are `malformed_token`, and a JWE-style `alg` in a three-segment
/// token is `unsupported_algorithm`. Decrypting is never "authenticated".
@Suite("Row 14: JWE/JWS confusion")
struct Row14JWEConfusionTests {
    static func jwe(header: String) -> String {
        [AttackEncoding.b64(header), AttackEncoding.b64([UInt8](repeating: 0x11, count: 256)),
         AttackEncoding.b64([UInt8](repeating: 0x22, count: 12)), AttackEncoding.b64(AttackFixture.claims()),
         AttackEncoding.b64([UInt8](repeating: 0x33, count: 16))].joined(separator: ".")
    }

    @Test("A five-segment JWE is refused → malformed_token",
          arguments: [
            #"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"attack-rs256"}"#,
            #"{"alg":"ECDH-ES","enc":"A128GCM","kid":"attack-es256","typ":"at+jwt"}"#,
            #"{"alg":"dir","enc":"A128CBC-HS256"}"#,
          ])
    func fiveSegments(header: String) throws {
        let fixture = try AttackFixture(algorithms: [.es256, .rs256])
        fixture.expectRejected(Self.jwe(header: header), .malformedToken)
    }

    @Test("A five-segment token whose first three segments are a valid JWS → malformed_token")
    func validJWSPlusTwoSegments() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        fixture.expectRejected(legit + ".AAAA.AAAA", .malformedToken)
    }

    @Test("A JWE header squeezed into three segments → unsupported_algorithm")
    func jweAlgInThreeSegments() throws {
        let fixture = try AttackFixture(algorithms: [.rs256])
        let header = #"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"attack-rs256","typ":"at+jwt"}"#
        let token = AttackEncoding.token(header: header, payload: AttackFixture.claims(), signature: [UInt8](repeating: 1, count: 256))
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }
}
