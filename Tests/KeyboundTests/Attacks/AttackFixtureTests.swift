import Foundation
import Testing
import Keybound

/// The attack fixture's legitimate tokens verify, so every rejection in the attack suites is
/// caused by the one thing each test changes.
@Suite("Attack fixture baseline")
struct AttackFixtureTests {
    @Test("A legitimate token of every algorithm verifies", arguments: JWSAlgorithm.allCases)
    func legitTokenVerifies(algorithm: JWSAlgorithm) throws {
        let fixture = try AttackFixture(algorithms: JWSAlgorithm.allCases)
        let token = try AttackFixture.legitToken(algorithm)
        fixture.expectAccepted(token)
        #expect(fixture.verify(token).token?.issuer == AttackFixture.issuer)
        #expect(fixture.verify(token).token?.keyID == AttackKeys.trusted(algorithm).keyID)
    }

    @Test("TokenSigner's own output verifies")
    func signerOutputVerifies() throws {
        let fixture = try AttackFixture()
        var claims = JSONObject()
        for (name, value) in AttackFixture.defaultClaims() {
            claims[name] = try StrictJSONParser.parse(Array(value.utf8))
        }
        let token = try TokenSigner(key: AttackKeys.es256).sign(claims: claims)
        fixture.expectAccepted(token)
    }

    @Test("The same token with one flipped signature bit is rejected")
    func flippedBitIsRejected() throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.legitToken()
        var signature = AttackEncoding.signature(of: token)
        signature[10] ^= 0x01
        fixture.expectRejected(AttackEncoding.replacingSignature(of: token, with: signature), .badSignature)
    }
}
