import Crypto
import Foundation
import _CryptoExtras

/// The best case with swift-crypto alone: the keys are parsed once; per operation the token's key
/// is taken by index (no lookup), only the signature object is built from its raw bytes and
/// checked (or the signing input is signed) — the same signature work, with the same key, as
/// Keybound does for that token.
enum RawContenders {
    static func verify(_ fixture: AlgorithmFixture) -> Contender {
        let loop = verifyLoop(fixture.signed)
        return Contender(label: "raw") { try loop($0) }
    }

    static func sign(_ fixture: AlgorithmFixture) -> Contender {
        let loop = signLoop(fixture.signed)
        return Contender(label: "raw") { try loop($0) }
    }

    /// Verifies the signing input and signature bytes of Keybound's tokens; traps on failure.
    static func verifyLoop(_ fixture: SignedTokens) -> @Sendable (Int) throws -> Int {
        let inputs = fixture.signingInputs, signatures = fixture.signatures, mask = inputs.count - 1
        let keys = fixture.tokenKeys
        switch fixture.algorithm {
        case .es256:
            let publicKeys = fixture.rawKeys.map { key -> P256.Signing.PublicKey in
                guard case .p256(let privateKey) = key else { preconditionFailure("an ES256 fixture with another key type") }
                return privateKey.publicKey
            }
            return { operations in
                var checksum = 0
                for index in 0..<operations {
                    let signature = try P256.Signing.ECDSASignature(rawRepresentation: signatures[index & mask])
                    precondition(publicKeys[keys[index & mask]].isValidSignature(signature, for: inputs[index & mask]), "raw ES256 verification failed")
                    checksum &+= 1
                }
                return checksum
            }
        case .edDSA:
            let publicKeys = fixture.rawKeys.map { key -> Curve25519.Signing.PublicKey in
                guard case .ed25519(let privateKey) = key else { preconditionFailure("an EdDSA fixture with another key type") }
                return privateKey.publicKey
            }
            return { operations in
                var checksum = 0
                for index in 0..<operations {
                    precondition(publicKeys[keys[index & mask]].isValidSignature(signatures[index & mask], for: inputs[index & mask]),
                                 "raw EdDSA verification failed")
                    checksum &+= 1
                }
                return checksum
            }
        default:
            let publicKeys = fixture.rawKeys.map { key -> _RSA.Signing.PublicKey in
                guard case .rsa(let privateKey) = key else { preconditionFailure("an RS256 fixture with another key type") }
                return privateKey.publicKey
            }
            return { operations in
                var checksum = 0
                for index in 0..<operations {
                    let signature = _RSA.Signing.RSASignature(rawRepresentation: signatures[index & mask])
                    let digest = SHA256.hash(data: inputs[index & mask])
                    precondition(publicKeys[keys[index & mask]].isValidSignature(signature, for: digest, padding: .insecurePKCS1v1_5),
                                 "raw RS256 verification failed")
                    checksum &+= 1
                }
                return checksum
            }
        }
    }

    /// `privateKey.signature(for: signingInput)` over the signing inputs, each with its token's key.
    static func signLoop(_ fixture: SignedTokens) -> @Sendable (Int) throws -> Int {
        let inputs = fixture.signingInputs, mask = inputs.count - 1, keys = fixture.tokenKeys, rawKeys = fixture.rawKeys
        return { operations in
            var checksum = 0
            for index in 0..<operations {
                switch rawKeys[keys[index & mask]] {
                case .p256(let privateKey):
                    checksum &+= try privateKey.signature(for: inputs[index & mask]).rawRepresentation.count
                case .ed25519(let privateKey):
                    checksum &+= try privateKey.signature(for: inputs[index & mask]).count
                case .rsa(let privateKey):
                    let digest = SHA256.hash(data: inputs[index & mask])
                    checksum &+= try privateKey.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation.count
                }
            }
            return checksum
        }
    }
}
