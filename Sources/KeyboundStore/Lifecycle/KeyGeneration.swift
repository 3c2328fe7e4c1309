import Foundation
import Keybound

/// New signing keys, generated off the concurrency pool, on the secret key-generation thread.
///
/// Generating an RSA key searches for two large primes: tens to hundreds of milliseconds in a
/// release build, seconds in a debug one, and never the same twice. On the concurrency pool (one
/// thread per core) that would stall every request and stream of the process for as long. A key
/// is therefore generated on ``Keybound/SecretWorkers/keyGeneration``, a thread of its own whose
/// stack, and in the `keybound` executable whose allocations, core dumps leave out; its private
/// JWK is written there straight into locked memory. An EC or Ed25519 key takes microseconds, so it
/// is made on ``Keybound/SecretWorkers/shared`` (secret threads as well): the emergency key of a
/// revocation never waits behind another issuer's RSA prime search.
enum KeyGeneration {
    /// Told of each key about to be made, in the task that asks for it: the tests' way to see
    /// where a key is made (``PreparedKeys``: never inside a key-store transaction). `nil` outside tests.
    @TaskLocal package static var willGenerate: (@Sendable (JWSAlgorithm) -> Void)?

    /// A fresh key for `algorithm`, bound to `issuer`'s URL, and its private JWK in locked memory
    /// (what ``KeySealer/seal(privateJWK:issuerID:keyID:)`` seals).
    static func generate(algorithm: JWSAlgorithm, issuer: String) async throws -> (key: SigningKey, privateJWK: LockedBytes) {
        willGenerate?(algorithm)
        let workers = algorithm == .rs256 || algorithm == .ps256 ? SecretWorkers.keyGeneration : SecretWorkers.shared
        return try await workers.run { () throws(KeyImportError) -> (key: SigningKey, privateJWK: LockedBytes) in
            let key = try SigningKey.generate(algorithm: algorithm, issuer: issuer)
            return (key, key.lockedPrivateJWK())
        }
    }
}
