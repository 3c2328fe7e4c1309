import Foundation
import HummingbirdBcrypt

/// bcrypt for user passwords. Both calls hold the calling thread for the whole hash (a quarter of a
/// second at cost 12): the server runs them only on its ``PasswordHashPool``, never on an event loop
/// or the Swift concurrency pool.
@_spi(Plumbing) public enum PasswordHasher {
    /// A bcrypt hash of `password` at `cost`.
    public static func hash(_ password: String, cost: UInt8) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    /// Whether `password` matches `hash`.
    public static func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }
}
