import Dispatch
import Foundation
import Keybound

/// New signing keys, generated off the concurrency pool.
///
/// Generating an RSA key searches for two large primes: tens to hundreds of milliseconds in a
/// release build, seconds in a debug one, and never the same twice. On the concurrency pool (one
/// thread per core) that would stall every request and stream of the process for as long. A key
/// is therefore generated on a dispatch thread while the rotation that needs it waits without
/// holding a pool thread.
enum KeyGeneration {
    private static let queue = DispatchQueue(label: "keybound.key-generation", qos: .utility, attributes: .concurrent)

    /// A fresh key for `algorithm`, bound to `issuer`'s URL.
    static func generate(algorithm: JWSAlgorithm, issuer: String) async throws -> SigningKey {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try SigningKey.generate(algorithm: algorithm, issuer: issuer) })
            }
        }
    }
}
