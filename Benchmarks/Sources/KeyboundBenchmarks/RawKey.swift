import Crypto
import Foundation
import JWTKit
import Keybound
import _CryptoExtras

/// The swift-crypto private key behind a Keybound ``SigningKey``, rebuilt from its exported private
/// JWK so that Keybound, raw swift-crypto and jwt-kit all use the very same key material.
enum RawKey: Sendable {
    case p256(P256.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey)

    /// Rebuilds the private key of `key` (ES256, EdDSA or RS256).
    init(_ key: SigningKey) throws {
        let jwk = key.exportPrivateJWK()
        func member(_ name: String) throws -> [UInt8] {
            guard let text = jwk[name]?.stringValue, let bytes = Base64URLDecoding.decode(text) else {
                throw FixtureError("the private JWK has no usable '\(name)'")
            }
            return bytes
        }
        switch key.algorithm {
        case .es256: self = .p256(try P256.Signing.PrivateKey(rawRepresentation: member("d")))
        case .edDSA: self = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: member("d")))
        case .rs256:
            self = .rsa(try _RSA.Signing.PrivateKey(n: member("n"), e: member("e"), d: member("d"), p: member("p"), q: member("q")))
        default: throw FixtureError("no raw baseline for \(key.algorithm.rawValue)")
        }
    }

    /// Adds the key to two jwt-kit collections under `keyID`: the private key to `signing`,
    /// only the public key to `verifying` (as a relying party would hold it).
    func register(keyID: String, signing: JWTKeyCollection, verifying: JWTKeyCollection) async throws {
        let kid = JWKIdentifier(string: keyID)
        switch self {
        case .p256(let key):
            await signing.add(ecdsa: try ES256PrivateKey(backing: key), kid: kid)
            await verifying.add(ecdsa: try ES256PublicKey(backing: key.publicKey), kid: kid)
        case .ed25519(let key):
            await signing.add(eddsa: EdDSA.PrivateKey(backing: key), kid: kid)
            await verifying.add(eddsa: EdDSA.PublicKey(backing: key.publicKey), kid: kid)
        case .rsa(let key):
            await signing.add(rsa: try Insecure.RSA.PrivateKey(backing: key), digestAlgorithm: .sha256, kid: kid)
            await verifying.add(rsa: try Insecure.RSA.PublicKey(backing: key.publicKey), digestAlgorithm: .sha256, kid: kid)
        }
    }
}

/// A fixture that could not be prepared.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
