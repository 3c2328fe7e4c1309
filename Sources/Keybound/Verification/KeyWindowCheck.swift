import Foundation

/// Whether a key may vouch for a token issued at `iat`, checked after its signature verified.
///
/// Revoked → `key_revoked`. Pending, retired, `iat` outside the active window (which ends at the
/// key's maximum age), or outside its certificate's validity → `key_not_active`.
enum KeyWindowCheck {
    static func evaluate(
        _ lifecycle: KeyLifecycle, certificate: CertificateValidity?, issuedAt: Double?, now: Date, skew: TimeInterval
    ) -> (code: RejectionCode, reason: String)? {
        if let revocation = lifecycle.revocation {
            return (.keyRevoked, "the key was revoked at \(timestamp(revocation.at)): \(revocation.reason)")
        }
        if lifecycle.isPending {
            return (.keyNotActive, "the key is published but not yet active; Keybound never signs with a pending key")
        }
        if let verifyUntil = lifecycle.verifyUntil, now > verifyUntil.addingTimeInterval(skew) {
            return (.keyNotActive, "the key was retired at \(timestamp(verifyUntil))")
        }
        if lifecycle.maximumAge != nil, lifecycle.activeFrom == nil {
            return (.keyNotActive, "the key has a maximum age but no activation time, so its age cannot be checked")
        }
        if let certificate {
            if !certificate.contains(now, skew: skew) {
                return (.keyNotActive, "the key's certificate (\(certificate.subject)) is valid only from \(timestamp(certificate.notBefore)) to \(timestamp(certificate.notAfter))")
            }
        }
        let start = lifecycle.activeFrom
        let end = lifecycle.effectiveActiveUntil
        guard start != nil || end != nil || certificate != nil else { return nil }
        guard let issuedAt else {
            return (.keyNotActive, "the token has no iat, so it cannot be placed inside the key's active window")
        }
        let issued = Date(timeIntervalSince1970: issuedAt)
        if let start, issued < start.addingTimeInterval(-skew) {
            return (.keyNotActive, "iat \(timestamp(issued)) is before the key became active at \(timestamp(start))")
        }
        if let end, issued > end.addingTimeInterval(skew) {
            let why = lifecycle.activeUntil == end ? "stopped signing" : "reached its maximum age"
            return (.keyNotActive, "iat \(timestamp(issued)) is after the key \(why) at \(timestamp(end))")
        }
        if let certificate, !certificate.contains(issued, skew: skew) {
            return (.keyNotActive, "iat \(timestamp(issued)) is outside the key's certificate validity")
        }
        return nil
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
