import Foundation
import Keybound

/// A check that runs after a token has verified and may wait: a database read or a network call,
/// for example the issuance-ledger check (`token_not_issued`, `token_claims_mismatch`).
///
/// The core verifier stays synchronous and pure; these checks run after it, in the middleware
/// (`BearerAuthenticator`), in the order given, and the first rejection wins. With a
/// ``VerifiedTokenCache`` they run once per token: a token is cached only after it passed them,
/// and a rejection is never cached. A cache should therefore serve one set of online checks.
///
/// A check that cannot reach what it needs must refuse (for example `ledger_unavailable`): fail closed.
public protocol OnlineTokenCheck: Sendable {
    /// Judges a token whose signature, key and claims already passed.
    func check(_ token: VerifiedToken, now: Date) async -> TokenCheckVerdict
}
