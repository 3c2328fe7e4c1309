import Foundation

/// `exp`, `nbf`, `iat` and the issuer's maximum token lifetime, with an explicit skew (RFC 7519 §4.1.4–4.1.6).
enum TimeClaimsCheck {
    static func evaluate(
        _ claims: RegisteredClaims, now: Date, skew: TimeInterval, maximumLifetime: TimeInterval
    ) -> (code: RejectionCode, reason: String)? {
        let current = now.timeIntervalSince1970
        if let expiresAt = claims.expiresAt, current >= expiresAt + skew {
            return (.tokenExpired, "the token expired at \(Int64(expiresAt)) (now \(Int64(current)), skew \(Int(skew)) s)")
        }
        if let notBefore = claims.notBefore, current < notBefore - skew {
            return (.tokenNotYetValid, "the token is not valid before \(Int64(notBefore)) (now \(Int64(current)), skew \(Int(skew)) s)")
        }
        if let issuedAt = claims.issuedAt, issuedAt > current + skew {
            return (.issuedInFuture, "iat \(Int64(issuedAt)) is in the future (now \(Int64(current)), skew \(Int(skew)) s)")
        }
        if let expiresAt = claims.expiresAt {
            let lifetime = expiresAt - (claims.issuedAt ?? current)
            if lifetime > maximumLifetime {
                return (.lifetimeTooLong, "the token lives \(Int64(lifetime)) s; the issuer allows at most \(Int64(maximumLifetime)) s")
            }
        }
        return nil
    }
}
