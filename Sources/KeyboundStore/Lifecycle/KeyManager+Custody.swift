import Foundation
import Keybound

extension KeyManager {
    /// Destroys, inside the PKCS#11 token, the private half of every retired or revoked key in
    /// PKCS#11 custody whose private half is still there, and records when
    /// (``KeyRecord/privateKeyDestroyedAt``). Returns the keys destroyed.
    ///
    /// ``tick(now:actor:)`` and ``revoke(issuerID:keyID:reason:actor:now:)`` call it after their
    /// own transaction; a token that is away then leaves the keys for the next tick, and the
    /// revocation itself stands (a revoked key verifies nothing, whatever the token still holds).
    @discardableResult
    public func destroyWithdrawnPrivateKeys(now: Date) async throws(StoreError) -> [KeyRecord] {
        guard let custodian else { return [] }
        let (withdrawn, issuers) = try await read { session in
            let keys = try await session.keys(issuerID: nil).filter {
                $0.custody == .pkcs11 && ($0.state == .retired || $0.state == .revoked) && $0.privateKeyDestroyedAt == nil
            }
            return (keys, keys.isEmpty ? [] : try await session.issuers())
        }
        var destroyed: [KeyRecord] = []
        var firstFailure: StoreError?
        for key in withdrawn {
            guard let issuer = issuers.first(where: { $0.id.isExactly(key.issuerID) }) else {
                throw StoreError(.issuerNotFound, "no issuer '\(key.issuerID)'")
            }
            do {
                _ = try await custodian.destroyPrivateKey(issuer: issuer.url, keyID: key.keyID)
            } catch {
                // The others still go; this one is tried again at the next tick.
                firstFailure = firstFailure ?? StoreError(.custodyUnavailable, "the private half of key '\(key.keyID)' of issuer '\(issuer.id)' could not be destroyed: \(error.description)")
                continue
            }
            let recorded = try await write { session -> KeyRecord? in
                guard var current = try await session.key(issuerID: key.issuerID, keyID: key.keyID), current.privateKeyDestroyedAt == nil else { return nil }
                current.privateKeyDestroyedAt = now
                try await session.update(current)
                return current
            }
            if let recorded { destroyed.append(recorded) }
        }
        if let firstFailure, destroyed.isEmpty { throw firstFailure }
        return destroyed
    }
}
