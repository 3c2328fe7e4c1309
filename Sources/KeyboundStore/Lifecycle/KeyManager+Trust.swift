import Foundation
import Keybound

extension KeyManager {
    /// The trust model as the store has it now: per issuer its pending, active, verify-only and
    /// revoked keys of the `purposes` given (every purpose by default, as the JWKS publishes them),
    /// each with its own window (retired keys are gone from it). A verifier in the same process
    /// rebuilds it after every change to see the current state. A verifier of access tokens asks
    /// for ``KeyPurpose/accessToken`` alone, so a token signed with an ID-token key is no access
    /// token to it (`unknown_key`).
    public func trustStore(purposes: Set<KeyPurpose> = Set(KeyPurpose.allCases)) async throws(StoreError) -> TrustStore {
        let (issuers, keys) = try await read { session in (try await session.issuers(), try await session.keys(issuerID: nil)) }
        var trust = TrustStore()
        do {
            for issuer in issuers {
                guard let tenancy = issuer.tenancy else { throw StoreError(.storage, "issuer '\(issuer.id)' has no tenant id") }
                var trusted = TrustedIssuer(identifier: issuer.url, tenancy: tenancy, maximumTokenLifetime: issuer.maximumTokenLifetime)
                for key in keys where key.issuerID.isExactly(issuer.id) && key.state != .retired && purposes.contains(key.purpose) {
                    try trusted.add(TrustedKey(try JWK(json: Array(key.publicJWK.utf8)), lifecycle: Self.lifecycle(of: key, issuer: issuer)))
                }
                try trust.add(trusted)
            }
        } catch {
            throw StoreError(.storage, "a stored public key could not be trusted: \(error)")
        }
        return trust
    }

    /// The JWKS an issuer publishes: its pending, active and verify-only keys of every purpose,
    /// each with its own `kid`, `use: sig` and `alg`.
    public func publishedKeySet(issuerID: String) async throws(StoreError) -> JSONObject {
        let keys = try await self.keys(issuerID: issuerID).filter { [.pending, .active, .verifyOnly].contains($0.state) }
        var published: [JSONValue] = []
        for key in keys {
            guard let object = try? StrictJSONParser.parseObject(Array(key.publicJWK.utf8)) else {
                throw StoreError(.storage, "stored public key '\(key.keyID)' is not valid JSON")
            }
            published.append(.object(object))
        }
        return JSONObject(["keys": .array(published)])
    }

    static func lifecycle(of key: KeyRecord, issuer: IssuerRecord) -> KeyLifecycle {
        KeyLifecycle(
            isPending: key.state == .pending,
            activeFrom: key.activatedAt,
            activeUntil: key.deactivatedAt,
            verifyUntil: key.verifyUntil,
            maximumAge: issuer.maximumKeyAge,
            revocation: key.revokedAt.map { KeyLifecycle.Revocation(at: $0, reason: key.revocationReason ?? "revoked") }
        )
    }
}
