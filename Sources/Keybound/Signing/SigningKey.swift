import Crypto
import Foundation
import _CryptoExtras

/// A private key that signs for exactly one issuer.
///
/// Its description, debug description and reflection show only the `kid`, algorithm and issuer:
/// private key material never reaches logs or error messages.
public struct SigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    let backing: Backing
    /// What a signer needs of this key: its `kid`, algorithm, issuer and public half.
    public let handle: SigningKeyHandle
    /// The `kid` tokens signed with this key carry.
    public var keyID: String { handle.keyID }
    /// The algorithm this key signs with.
    public var algorithm: JWSAlgorithm { handle.algorithm }
    /// The issuer this key belongs to. It signs no token whose `iss` differs.
    public var issuer: String { handle.issuer }
    /// The public half, with `kid`, `alg`, `use: sig` and the per-key `issuer`.
    public var publicJWK: JWK { handle.publicJWK }

    init(backing: Backing, keyID: String?, algorithm: JWSAlgorithm, issuer: String) throws(KeyImportError) {
        self.backing = backing
        self.handle = try SigningKeyHandle(publicKey: Self.publicKey(of: backing), keyID: keyID, algorithm: algorithm, issuer: issuer)
    }

    /// Generates a fresh key (RSA keys are 2048 bits). The `kid` defaults to the RFC 7638 thumbprint.
    public static func generate(algorithm: JWSAlgorithm, issuer: String, keyID: String? = nil) throws(KeyImportError) -> SigningKey {
        let backing: Backing
        switch algorithm {
        case .es256: backing = .p256(P256.Signing.PrivateKey())
        case .es384: backing = .p384(P384.Signing.PrivateKey())
        case .edDSA: backing = .ed25519(Curve25519.Signing.PrivateKey())
        case .rs256, .ps256:
            guard let key = try? _RSA.Signing.PrivateKey(keySize: .bits2048) else {
                throw KeyImportError(.invalidKey, "RSA key generation failed")
            }
            backing = .rsa(key)
        }
        return try SigningKey(backing: backing, keyID: keyID, algorithm: algorithm, issuer: issuer)
    }

    public var description: String { "SigningKey(kid: \(keyID), alg: \(algorithm.rawValue), issuer: \(issuer))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["keyID": keyID, "algorithm": algorithm, "issuer": issuer], displayStyle: .struct)
    }

    static func publicKey(of backing: Backing) -> JWSPublicKey {
        switch backing {
        case .p256(let key): .p256(key.publicKey)
        case .p384(let key): .p384(key.publicKey)
        case .ed25519(let key): .ed25519(key.publicKey)
        case .rsa(let key): .rsa(key.publicKey)
        }
    }

    static func publicMembers(of key: JWSPublicKey) -> [(String, JSONValue)] {
        switch key {
        case .p256(let key): ecMembers(curve: "P-256", x963: Array(key.x963Representation), size: 32)
        case .p384(let key): ecMembers(curve: "P-384", x963: Array(key.x963Representation), size: 48)
        case .ed25519(let key):
            [("crv", .string("Ed25519")), ("kty", .string("OKP")), ("x", .string(Base64URL.encode(key.rawRepresentation)))]
        case .rsa(let key):
            {
                let primitives = try! key.getKeyPrimitives()
                return [("e", .string(Base64URL.encode(primitives.publicExponent.drop { $0 == 0 }))),
                        ("kty", .string("RSA")),
                        ("n", .string(Base64URL.encode(primitives.modulus.drop { $0 == 0 })))]
            }()
        }
    }

    private static func ecMembers(curve: String, x963: [UInt8], size: Int) -> [(String, JSONValue)] {
        [("crv", .string(curve)), ("kty", .string("EC")),
         ("x", .string(Base64URL.encode(x963[1...size]))), ("y", .string(Base64URL.encode(x963[(size + 1)...])))]
    }
}
