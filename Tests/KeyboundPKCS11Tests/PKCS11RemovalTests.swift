import Foundation
import Keybound
import KeyboundPKCS11
import Testing

/// When the token goes away, signing fails closed as `pkcs11_token_unavailable` (a 503 for the
/// provider), and it signs again once the token is back, on the same `PKCS11Token`: no restart.
@Suite("PKCS#11 custody: the token goes away and comes back")
struct PKCS11RemovalTests {
    @Test("signing fails closed while the token is out, and recovers without reopening once it is back")
    func removalFailsClosedAndRecovers() async throws {
        let removable = try await RemovableToken.build()
        defer { removable.putBack() }
        let token = try await PKCS11Token.open(try await removable.configuration())
        defer { Task { await token.close() } }
        let issuer = "https://removal-\(UUID().uuidString.prefix(8)).example"
        let key = try await token.generateKey(algorithm: .es256, issuer: issuer)
        let custodian = PKCS11Custodian(token: token)
        let signer = TokenSigner(key: key, custodian: custodian)
        let claims = PKCS11CustodyTests.claims(issuer: issuer)
        _ = try await signer.signedByCustodian(claims: claims)

        removable.pullOut()
        for _ in 0..<3 {
            let error = await #expect(throws: PKCS11Error.self) { try await token.sign(Array("while out".utf8), with: key) }
            #expect(error?.code == .unavailable, "\(String(describing: error))")
        }
        let signingError = await #expect(throws: SigningError.self) { try await signer.signedByCustodian(claims: claims) }
        #expect(signingError?.isUnavailable == true)
        let generation = await #expect(throws: PKCS11Error.self) { try await token.generateKey(algorithm: .es256, issuer: issuer) }
        #expect(generation?.code == .unavailable)

        removable.putBack()
        let signed = try await signer.signedByCustodian(claims: claims)
        #expect(try PKCS11CustodyTests.verifier(issuer: issuer, keys: [key.publicJWK]).verify(signed.token).rejection == nil)
    }

    @Test("a token that is out when it is opened is refused at once, as not found (a configuration to check), not later")
    func outAtOpen() async throws {
        let removable = try await RemovableToken.build()
        defer { removable.putBack() }
        removable.pullOut()
        let error = await #expect(throws: PKCS11Error.self) { try await PKCS11Token.open(try await removable.configuration()) }
        #expect(error?.code == .tokenNotFound)
    }
}
