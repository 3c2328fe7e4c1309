import Foundation

/// `exp`, `nbf`, `iat` and the issuer's maximum token lifetime, with an explicit skew (RFC 7519 §4.1.4–4.1.6).
enum TimeClaimsCheck {
    static func evaluate(
        _ claims: RegisteredClaims, now: Date, skew: TimeInterval, maximumLifetime: TimeInterval
    ) -> (code: RejectionCode, reason: String)? {
        let current = now.timeIntervalSince1970
        if let expiresAt = claims.expiresAt, current >= expiresAt + skew {
            return (.tokenExpired, "the token expired at \(SecondsText.of(expiresAt)) (now \(SecondsText.of(current)), skew \(SecondsText.of(skew)) s)")
        }
        if let notBefore = claims.notBefore, current < notBefore - skew {
            return (.tokenNotYetValid, "the token is not valid before \(SecondsText.of(notBefore)) (now \(SecondsText.of(current)), skew \(SecondsText.of(skew)) s)")
        }
        if let issuedAt = claims.issuedAt, issuedAt > current + skew {
            return (.issuedInFuture, "iat \(SecondsText.of(issuedAt)) is in the future (now \(SecondsText.of(current)), skew \(SecondsText.of(skew)) s)")
        }
        if let expiresAt = claims.expiresAt {
            let lifetime = expiresAt - (claims.issuedAt ?? current)
            if lifetime > maximumLifetime {
                return (.lifetimeTooLong, "the token lives \(SecondsText.of(lifetime)) s; the issuer allows at most \(SecondsText.of(maximumLifetime)) s")
            }
        }
        return nil
    }
}
