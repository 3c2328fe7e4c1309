import Foundation
import Testing
import Keybound

/// Attack catalog row 27: a key whose `use`/`key_ops` forbid signature verification. The key
/// imports, but a token naming it is `key_not_usable`, even with a valid signature.
@Suite("Row 27: key use and key_ops")
struct Row27KeyUseTests {
    static func fixture(with members: [(String, JSONValue?)]) throws -> AttackFixture {
        var json = AttackKeys.es256.publicJWK.publicJSON
        for (name, value) in members { json[name] = value }
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackFixture.issuer, tenancy: .noTenant, keySet: JWKSet(keys: [JWK(jsonObject: json)])))
        return try AttackFixture(trust: trust)
    }

    @Test("use enc (or anything but sig) → key_not_usable", arguments: ["enc", "SIG", "", "sig "])
    func useNotSig(use: String) throws {
        let fixture = try Self.fixture(with: [("use", .string(use))])
        fixture.expectRejected(try AttackFixture.legitToken(), .keyNotUsable)
    }

    @Test("key_ops without verify → key_not_usable",
          arguments: [["encrypt"], ["sign"], ["decrypt", "wrapKey"], [], ["Verify"]] as [[String]])
    func keyOpsWithoutVerify(ops: [String]) throws {
        let fixture = try Self.fixture(with: [("use", nil), ("key_ops", .array(ops.map { .string($0) }))])
        fixture.expectRejected(try AttackFixture.legitToken(), .keyNotUsable)
    }

    @Test("use sig, key_ops [verify] and no use at all verify (the same token)")
    func usableKeys() throws {
        try Self.fixture(with: [("use", .string("sig"))]).expectAccepted(try AttackFixture.legitToken())
        try Self.fixture(with: [("use", nil), ("key_ops", .array([.string("verify")]))]).expectAccepted(try AttackFixture.legitToken())
        try Self.fixture(with: [("use", nil)]).expectAccepted(try AttackFixture.legitToken())
    }

    @Test("use sig but key_ops [encrypt] → key_not_usable")
    func useSigKeyOpsEncrypt() throws {
        let fixture = try Self.fixture(with: [("use", .string("sig")), ("key_ops", .array([.string("encrypt")]))])
        fixture.expectRejected(try AttackFixture.legitToken(), .keyNotUsable)
    }
}
