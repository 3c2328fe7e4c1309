import Crypto
import Foundation
import Testing
import Keybound

/// Attack catalog row 6: `kid` path traversal, SQL or command injection. `kid` is an opaque
/// lookup into the in-memory trust store; an unknown `kid` is `unknown_key` and never falls back
/// to another key, not even when the signature is the trusted key's own.
@Suite("Row 6: kid injection")
struct Row06KidInjectionTests {
    static let injections = [
        "../../../../dev/null",
        "../../../../../../../../../../etc/passwd",
        "/dev/null",
        "x' UNION SELECT 'k'--",
        "' OR '1'='1",
        "k; id",
        "k`id`",
        "$(id)",
        "attack-es256/../attack-es256",
        "attack-es256 ",
        "ATTACK-ES256",
        "attack-es256\u{0000}",
        "*",
    ]

    @Test("HS256 with a traversal kid and an empty-key MAC → unsupported_algorithm")
    func classicHS256EmptyKey() throws {
        let fixture = try AttackFixture()
        let header = #"{"alg":"HS256","kid":"../../../../dev/null","typ":"at+jwt"}"#
        let signingInput = AttackEncoding.b64(header) + "." + AttackEncoding.b64(AttackFixture.claims())
        let tag = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: [UInt8]()))
        fixture.expectRejected(signingInput + "." + AttackEncoding.b64(Array(tag)), .unsupportedAlgorithm)
    }

    @Test("ES256, injected kid, valid signature by an untrusted key → unknown_key", arguments: Row06KidInjectionTests.injections)
    func injectedKidUntrustedKey(kid: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.attackerES256, kid: "").replacingOccurrences(
            of: "\"kid\":\"\"", with: "\"kid\":\(AttackFixture.quoted(kid))")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .unknownKey)
    }

    @Test("ES256, injected kid, valid signature by the *trusted* key → unknown_key (no fallback)", arguments: Row06KidInjectionTests.injections)
    func injectedKidTrustedKeyNoFallback(kid: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, kid: "").replacingOccurrences(
            of: "\"kid\":\"\"", with: "\"kid\":\(AttackFixture.quoted(kid))")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .unknownKey)
    }

    @Test("An empty kid is treated as no kid → missing_kid")
    func emptyKid() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, kid: "")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .missingKeyID)
    }

    @Test("A kid that is not a string → malformed_header", arguments: ["null", "1", "[\"attack-es256\"]", "{}"])
    func nonStringKid(raw: String) throws {
        let fixture = try AttackFixture()
        let header = "{\"alg\":\"ES256\",\"kid\":\(raw),\"typ\":\"at+jwt\"}"
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedHeader)
    }
}
