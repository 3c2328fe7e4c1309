import Foundation
import Keybound
import Synchronization

/// Tokens revoked at their provider, by (`iss`, `jti`) in exact bytes, each kept until its `exp`
/// (after which the token is refused as expired anyway). ``TokenEventSubscriber`` fills it from
/// `/<issuer>/token-events`; ``RevokedTokenCheck`` refuses the tokens it holds (`token_revoked`),
/// so a revoked token is refused whether or not a ``VerifiedTokenCache`` held it.
///
/// Expired records are dropped as new ones arrive (whenever the list has doubled since the last
/// sweep), so the list holds about the revocations of one token lifetime.
public final class RevokedTokens: Sendable {
    private struct State {
        var tokens: [VerifiedTokenCache.TokenKey: Date] = [:]
        var sweptAtCount = 1_024
    }

    private let state = Mutex(State())

    /// An empty list.
    public init() {}

    /// Records that `issuer`'s token `tokenID` is revoked until `expiresAt`.
    public func revoke(issuer: String, tokenID: String, expiresAt: Date, now: Date = Date()) {
        let key = VerifiedTokenCache.TokenKey(issuer: ExactBytes(issuer), tokenID: ExactBytes(tokenID))
        state.withLock { state in
            state.tokens[key] = max(state.tokens[key] ?? .distantPast, expiresAt)
            if state.tokens.count >= 2 * state.sweptAtCount {
                state.tokens = state.tokens.filter { $0.value > now }
                state.sweptAtCount = max(1_024, state.tokens.count)
            }
        }
    }

    /// Whether `issuer`'s token `tokenID` is revoked (and its record has not run out at `now`).
    public func isRevoked(issuer: String, tokenID: String, now: Date) -> Bool {
        let key = VerifiedTokenCache.TokenKey(issuer: ExactBytes(issuer), tokenID: ExactBytes(tokenID))
        return state.withLock { state in
            guard let until = state.tokens[key] else { return false }
            return now <= until
        }
    }

    /// How many revocations are held (expired ones included until the next sweep).
    public var count: Int { state.withLock { $0.tokens.count } }
}

/// A `TokenCheck` that refuses a token of ``RevokedTokens`` with `token_revoked`. Add
/// it to the policy of a validator that follows `/<issuer>/token-events`.
public struct RevokedTokenCheck: TokenCheck {
    let revoked: RevokedTokens

    /// A check against `revoked`.
    public init(_ revoked: RevokedTokens) { self.revoked = revoked }

    public func check(_ token: VerifiedToken, now: Date) -> TokenCheckVerdict {
        guard let tokenID = token.tokenID, revoked.isRevoked(issuer: token.issuer, tokenID: tokenID, now: now) else { return .accept }
        return .reject(TokenRejection(.tokenRevoked, "the provider revoked this token", tokenIssuer: token.issuer, keyID: token.keyID))
    }
}
