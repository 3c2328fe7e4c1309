import Foundation
import Testing
import Keybound

/// Attack catalog row 5: `jku`/`x5u` pointing at an attacker's key set or an internal host.
/// Keybound never dereferences a URL from a token; a token carrying one is `forbidden_header`.
@Suite("Row 5: jku / x5u injection")
struct Row05JkuX5uTests {
    static let cases: [(String, String)] = [
        ("jku", "https://attacker.example/jwks.json"),
        ("jku", "http://169.254.169.254/latest/meta-data/"),
        ("jku", "https://issuer.keybound.test/.well-known/jwks.json"),
        ("jku", "file:///etc/passwd"),
        ("x5u", "https://attacker.example/cert.pem"),
        ("x5u", "http://localhost:8080/admin"),
    ]

    @Test("jku / x5u with the trusted kid and a valid trusted signature → forbidden_header",
          arguments: Row05JkuX5uTests.cases.indices)
    func urlHeaderRefused(index: Int) throws {
        let (name, url) = Self.cases[index]
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: ",\"\(name)\":\(AttackFixture.quoted(url))")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("jku signed by the attacker's key with the attacker's kid → forbidden_header")
    func jkuWithAttackerKey() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.attackerES256, extra: #","jku":"https://attacker.example/jwks.json""#)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .forbiddenHeader)
    }
}
