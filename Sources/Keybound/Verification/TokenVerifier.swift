import Foundation

/// Verifies compact JWS access tokens and JWTs against a ``TrustStore`` and a ``VerificationPolicy``.
///
/// Parse → find the key by (issuer, kid) → check the signature → run the policies, in the order
/// of `docs/verification.md`. The first failing check names the rejection code. Time is read once
/// per call from the injected clock.
public struct TokenVerifier: Sendable {
    /// The issuers and keys trusted.
    public let trust: TrustStore
    /// What is demanded of tokens.
    public let policy: VerificationPolicy
    /// Where the current time comes from.
    public let clock: VerificationClock
    /// Judged headers by exact segment bytes (a pure function of the bytes; never a token cache).
    private let headerCache = HeaderCache()

    /// Creates a verifier.
    public init(trust: TrustStore, policy: VerificationPolicy, clock: VerificationClock = .system) {
        self.trust = trust
        self.policy = policy
        self.clock = clock
    }

    /// Verifies a token given as text.
    public func verify(_ token: String) -> VerificationResult {
        var token = token
        return token.withUTF8 { verify(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Verifies a token given as the bytes of its compact serialization.
    public func verify(bytes token: UnsafeRawBufferPointer) -> VerificationResult {
        switch evaluate(token) {
        case .success(let verified): .verified(verified)
        case .failure(let rejection): .rejected(rejection)
        }
    }

    private func evaluate(_ token: UnsafeRawBufferPointer) -> Result<VerifiedToken, TokenRejection> {
        let jws: CompactJWS
        switch CompactJWS.decode(token, maximumSize: policy.maximumTokenSize, headerCache: headerCache) {
        case .success(let decoded): jws = decoded
        case .failure(let rejection): return .failure(rejection)
        }
        guard policy.tokenType.accepts(typ: jws.type) else {
            let shown = jws.type.map { "'\($0.prefix(40))'" } ?? "absent"
            return .failure(TokenRejection(.wrongType, "typ is \(shown); expected \(policy.tokenType.rawValue)"))
        }
        guard let keyID = jws.keyID else {
            return .failure(TokenRejection(.missingKeyID, "the header has no kid; Keybound never guesses a key"))
        }
        let payload = jws.payload
        let claimsResult: Result<(ScannedObject, RegisteredClaims), TokenRejection> = payload.withUnsafeBytes { buffer in
            switch ScannedObject.scan(buffer) {
            case .success(let scanned):
                do throws(TokenRejection) {
                    return .success((scanned, try RegisteredClaims(scanned)))
                } catch {
                    return .failure(TokenRejection(error.code, error.reason, keyID: keyID))
                }
            case .failure(let error):
                // The payload's UTF-8 is checked only when the claims fail: the scan validates it anyway.
                if !UTF8Validation.isValid(payload) {
                    return .failure(TokenRejection(.malformedToken, "the payload is not valid UTF-8", keyID: keyID))
                }
                return .failure(TokenRejection(.malformedClaims, "the claims are not a strict JSON object: \(error)", keyID: keyID))
            }
        }
        let scanned: ScannedObject
        let registered: RegisteredClaims
        switch claimsResult {
        case .success(let read): (scanned, registered) = read
        case .failure(let rejection): return .failure(rejection)
        }
        let missing = payload.withUnsafeBytes { policy.missingClaim(registered, in: scanned, buffer: $0) }
        if let name = missing {
            return .failure(TokenRejection(.missingClaim, "required claim '\(name)' is missing", tokenIssuer: registered.issuer, keyID: keyID))
        }
        guard let issuer = registered.issuer else {
            return .failure(TokenRejection(.missingClaim, "required claim 'iss' is missing", keyID: keyID))
        }
        let context = RejectionContext(issuer: issuer, keyID: keyID)

        let trustedKey: TrustedKey
        let issuerContext: TrustStore.IssuerContext
        switch trust.resolve(issuer: issuer, keyID: keyID, tenantID: registered.tenantID) {
        case .found(let key, let found):
            trustedKey = key
            issuerContext = found
        case .foreign(let candidates, let issuerIsTrusted):
            return .failure(foreignKeyRejection(jws, token: token, candidates: candidates, issuerIsTrusted: issuerIsTrusted, context: context))
        case .unbound:
            return .failure(context.reject(.keyNotUsable, "kid '\(keyID)' has no issuer binding in its key set, so it verifies nothing"))
        case .tenantRequired:
            return .failure(context.reject(.missingClaim, "kid '\(keyID)' belongs to a templated issuer, which needs the token's tid"))
        case .unknownKey:
            return .failure(context.reject(.unknownKey, "issuer '\(issuer)' has no key '\(keyID)'"))
        case .untrustedIssuer:
            return .failure(context.reject(.untrustedIssuer, "issuer '\(issuer)' is not trusted"))
        }

        let key: JWK
        switch trustedKey.material {
        case .success(let imported): key = imported
        case .failure(let error): return .failure(context.reject(.keyNotUsable, "key '\(keyID)' was refused at import: \(error.reason)"))
        }
        if let restriction = key.verificationRestriction {
            return .failure(context.reject(.keyNotUsable, restriction))
        }
        guard jws.algorithm == key.algorithm else {
            return .failure(context.reject(.algorithmMismatch, "the header says \(jws.algorithm.rawValue) but key '\(keyID)' is bound to \(key.algorithm.rawValue)"))
        }
        let signingInput = UnsafeRawBufferPointer(rebasing: token[0..<jws.signingInputLength])
        guard key.publicKey.isValidSignature(jws.signature, for: signingInput, algorithm: jws.algorithm) else {
            return .failure(context.reject(.badSignature, "the signature does not verify under key '\(keyID)'"))
        }

        let now = clock.now()
        guard now.timeIntervalSince1970.isFinite, abs(now.timeIntervalSince1970) <= RegisteredClaims.numericDateLimit else {
            // A broken clock must not turn every time check off: fail closed.
            return .failure(context.reject(.tokenExpired, "the verifier's clock reading is unusable, so no token is accepted"))
        }
        if let rejection = KeyWindowCheck.evaluate(trustedKey.lifecycle, certificate: key.certificateValidity,
                                                   issuedAt: registered.issuedAt, now: now, skew: policy.clockSkew) {
            return .failure(context.reject(rejection.code, rejection.reason))
        }
        if let rejection = TimeClaimsCheck.evaluate(registered, now: now, skew: policy.clockSkew,
                                                    maximumLifetime: issuerContext.maximumTokenLifetime) {
            return .failure(context.reject(rejection.code, rejection.reason))
        }
        guard let audiences = registered.audience, audiences.contains(where: { $0.isExactly(policy.audience) }) else {
            return .failure(context.reject(.audienceMismatch, "aud does not contain '\(policy.audience)'"))
        }
        let tenant: Tenant?
        switch TenancyCheck.evaluate(issuerContext, tokenTenantID: registered.tenantID) {
        case .success(let found): tenant = found
        case .failure(let rejection): return .failure(context.reject(rejection.code, rejection.reason))
        }
        let verified = VerifiedToken(header: jws.header, payload: payload, issuer: issuerContext.identifier, keyID: keyID,
                                     algorithm: jws.algorithm, keyThumbprint: key.thumbprint, registered: registered, tenant: tenant)
        for check in policy.additionalChecks {
            if case .reject(let rejection) = check.check(verified, now: now) {
                return .failure(TokenRejection(rejection.code, rejection.reason, tokenIssuer: issuer, keyID: keyID, keyIssuer: rejection.keyIssuer))
            }
        }
        return .success(verified)
    }

    /// The token's `kid` is a key of other trusted issuers. If the signature verifies under one of
    /// them, someone holds that issuer's real key and used it across the border: `issuer_key_mismatch`.
    /// Otherwise it is junk: `unknown_key`.
    private func foreignKeyRejection(
        _ jws: CompactJWS, token: UnsafeRawBufferPointer, candidates: [(key: TrustedKey, issuer: String)],
        issuerIsTrusted: Bool, context: RejectionContext
    ) -> TokenRejection {
        let signingInput = UnsafeRawBufferPointer(rebasing: token[0..<jws.signingInputLength])
        for candidate in candidates {
            guard case .success(let key) = candidate.key.material, key.algorithm == jws.algorithm else { continue }
            if key.publicKey.isValidSignature(jws.signature, for: signingInput, algorithm: jws.algorithm) {
                return TokenRejection(
                    .issuerKeyMismatch,
                    "token claims issuer '\(context.issuer)' but is signed by key '\(context.keyID)' of issuer '\(candidate.issuer)'",
                    tokenIssuer: context.issuer, keyID: context.keyID, keyIssuer: candidate.issuer)
        }
        }
        return context.reject(.unknownKey, "issuer '\(context.issuer)' has no key '\(context.keyID)'\(issuerIsTrusted ? "" : " (and is not trusted)")")
    }
}

/// The token's identity, attached to every rejection after the claims were read.
struct RejectionContext {
    let issuer: String
    let keyID: String

    func reject(_ code: RejectionCode, _ reason: String) -> TokenRejection {
        TokenRejection(code, reason, tokenIssuer: issuer, keyID: keyID)
    }
}
