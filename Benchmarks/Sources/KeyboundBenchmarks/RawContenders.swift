import Crypto
import Foundation
import _CryptoExtras

/// The best case with swift-crypto alone: the key is parsed once; per operation only the
/// signature object is built from its raw bytes and checked (or the signing input is signed).
enum RawContenders {
    /// Verifies the signing input and signature bytes of the fixture's Keybound tokens; traps on failure.
    static func verify(_ fixture: AlgorithmFixture) -> Contender {
        let inputs = fixture.signingInputs, signatures = fixture.signatures, mask = inputs.count - 1
        switch fixture.rawKey {
        case .p256(let privateKey):
            let publicKey = privateKey.publicKey
            return Contender(label: "raw") { operations in
                var checksum = 0
                for index in 0..<operations {
                    let signature = try P256.Signing.ECDSASignature(rawRepresentation: signatures[index & mask])
                    precondition(publicKey.isValidSignature(signature, for: inputs[index & mask]), "raw ES256 verification failed")
                    checksum &+= 1
                }
                return checksum
            }
        case .ed25519(let privateKey):
            let publicKey = privateKey.publicKey
            return Contender(label: "raw") { operations in
                var checksum = 0
                for index in 0..<operations {
                    precondition(publicKey.isValidSignature(signatures[index & mask], for: inputs[index & mask]), "raw EdDSA verification failed")
                    checksum &+= 1
                }
                return checksum
            }
        case .rsa(let privateKey):
            let publicKey = privateKey.publicKey
            return Contender(label: "raw") { operations in
                var checksum = 0
                for index in 0..<operations {
                    let signature = _RSA.Signing.RSASignature(rawRepresentation: signatures[index & mask])
                    let digest = SHA256.hash(data: inputs[index & mask])
                    precondition(publicKey.isValidSignature(signature, for: digest, padding: .insecurePKCS1v1_5), "raw RS256 verification failed")
                    checksum &+= 1
                }
                return checksum
            }
        }
    }

    /// `privateKey.signature(for: signingInput)` over the fixture's signing inputs (ES256, EdDSA).
    static func sign(_ fixture: AlgorithmFixture) -> Contender {
        let inputs = fixture.signingInputs, mask = inputs.count - 1
        switch fixture.rawKey {
        case .p256(let privateKey):
            return Contender(label: "raw") { operations in
                var checksum = 0
                for index in 0..<operations {
                    checksum &+= try privateKey.signature(for: inputs[index & mask]).rawRepresentation.count
                }
                return checksum
            }
        case .ed25519(let privateKey):
            return Contender(label: "raw") { operations in
                var checksum = 0
                for index in 0..<operations {
                    checksum &+= try privateKey.signature(for: inputs[index & mask]).count
                }
                return checksum
            }
        case .rsa(let privateKey):
            return Contender(label: "raw") { operations in
                var checksum = 0
                for index in 0..<operations {
                    let digest = SHA256.hash(data: inputs[index & mask])
                    checksum &+= try privateKey.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation.count
                }
                return checksum
            }
        }
    }
}
