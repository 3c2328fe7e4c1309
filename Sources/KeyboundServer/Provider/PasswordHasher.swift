import Dispatch
import Foundation
import HummingbirdBcrypt

/// bcrypt for user passwords, run off the Swift concurrency pool (a cost-12 hash takes a quarter
/// of a second; it must not stall other requests).
public enum PasswordHasher {
    private static let queue = DispatchQueue(label: "keybound.bcrypt", attributes: .concurrent)

    /// A bcrypt hash of `password` at `cost`.
    public static func hash(_ password: String, cost: UInt8) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    /// Whether `password` matches `hash`, computed on a background queue.
    public static func verify(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Bcrypt.verify(password, hash: hash)) }
        }
    }
}
