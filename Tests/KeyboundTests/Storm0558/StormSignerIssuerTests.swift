import Foundation
import Testing
import Keybound

/// Storm-0558 (g): a signing key signs only for its own issuer. `TokenSigner` refuses claims whose
/// `iss` is missing, not a string, or any other issuer (exact comparison).
@Suite("Storm-0558 (g): signer refuses foreign iss")
struct StormSignerIssuerTests {
    static func claims(iss: JSONValue?) -> JSONObject {
        var claims = JSONObject()
        if let iss { claims["iss"] = iss }
        claims["sub"] = .string("alice")
        claims["aud"] = .string(AttackStorm.audience)
        claims["exp"] = .number(Double(AttackFixture.nowSeconds + 600))
        return claims
    }

    @Test("The consumer key refuses to sign an enterprise token (and near variants of its own issuer)",
          arguments: [AttackStorm.enterpriseIssuer, AttackStorm.consumerIssuer + "/", AttackStorm.consumerIssuer.uppercased(), ""])
    func foreignIssuer(iss: String) {
        #expect(throws: SigningError.self) {
            try TokenSigner(key: AttackStorm.consumerKey).sign(claims: Self.claims(iss: .string(iss)))
        }
    }

    @Test("Claims without a string iss are refused")
    func missingOrMistypedIssuer() {
        for iss in [nil, JSONValue.null, .number(1), .array([.string(AttackStorm.consumerIssuer)])] as [JSONValue?] {
            #expect(throws: SigningError.self, "iss \(String(describing: iss))") {
                try TokenSigner(key: AttackStorm.consumerKey).sign(claims: Self.claims(iss: iss))
            }
        }
    }

    @Test("The consumer key signs its own issuer's token")
    func ownIssuer() throws {
        let token = try TokenSigner(key: AttackStorm.consumerKey).sign(claims: Self.claims(iss: .string(AttackStorm.consumerIssuer)))
        #expect(AttackEncoding.segments(token).count == 3)
    }
}
