/// A stable, documented code for why a token was rejected (see `docs/errors.md`).
///
/// A struct over a string rather than an enum, so new codes are not breaking changes.
public struct RejectionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The token is larger than the verifier's limit (16 KiB by default).
    public static let tokenTooLarge = Self(rawValue: "token_too_large")
    /// Not three base64url segments, non-canonical base64url, or a header or payload that is not UTF-8.
    public static let malformedToken = Self(rawValue: "malformed_token")
    /// The header is not a strict JSON object, or a header parameter has the wrong type.
    public static let malformedHeader = Self(rawValue: "malformed_header")
    /// The claims are not a strict JSON object, or a registered claim has the wrong type or range.
    public static let malformedClaims = Self(rawValue: "malformed_claims")
    /// `alg` is missing, `none`, an HMAC algorithm, or anything outside ES256, ES384, EdDSA, RS256, PS256.
    public static let unsupportedAlgorithm = Self(rawValue: "unsupported_algorithm")
    /// The header carries `jwk`, `jku`, `x5u`, `x5c`, `crit`, `b64` or `zip`.
    public static let forbiddenHeader = Self(rawValue: "forbidden_header")
    /// `typ` is not the one expected (for access tokens `at+jwt`).
    public static let wrongType = Self(rawValue: "wrong_type")
    /// A claim the policy requires is absent.
    public static let missingClaim = Self(rawValue: "missing_claim")
    /// No trusted issuer has the token's `iss`.
    public static let untrustedIssuer = Self(rawValue: "untrusted_issuer")
    /// The header has no `kid`.
    public static let missingKeyID = Self(rawValue: "missing_kid")
    /// The issuer has no key with the token's `kid`.
    public static let unknownKey = Self(rawValue: "unknown_key")
    /// The `kid` names a key of *another* trusted issuer, and the signature verifies under it:
    /// a real key used across the border (the Storm-0558 forgery). An alert.
    public static let issuerKeyMismatch = Self(rawValue: "issuer_key_mismatch")
    /// The header `alg` differs from the algorithm the key is bound to.
    public static let algorithmMismatch = Self(rawValue: "algorithm_mismatch")
    /// The key may not verify: its `use`/`key_ops` forbid it, it is weak or invalid, or it has no issuer binding.
    public static let keyNotUsable = Self(rawValue: "key_not_usable")
    /// The key has been revoked.
    public static let keyRevoked = Self(rawValue: "key_revoked")
    /// The token's `iat` is outside its key's active window, or the key is pending, retired,
    /// past its maximum age, or outside its certificate's validity.
    public static let keyNotActive = Self(rawValue: "key_not_active")
    /// The signature does not verify.
    public static let badSignature = Self(rawValue: "bad_signature")
    /// `exp` has passed (allowing for the clock skew).
    public static let tokenExpired = Self(rawValue: "token_expired")
    /// `nbf` is still in the future (allowing for the clock skew).
    public static let tokenNotYetValid = Self(rawValue: "token_not_yet_valid")
    /// `iat` is in the future (allowing for the clock skew).
    public static let issuedInFuture = Self(rawValue: "issued_in_future")
    /// `exp` − `iat` is above the issuer's maximum token lifetime.
    public static let lifetimeTooLong = Self(rawValue: "lifetime_too_long")
    /// `aud` does not contain the expected audience exactly.
    public static let audienceMismatch = Self(rawValue: "audience_mismatch")
    /// `tid` differs from the issuer's tenant id.
    public static let tenantMismatch = Self(rawValue: "tenant_mismatch")

    /// Issuance-ledger check (online forgery detection): the token verifies under its issuer's key,
    /// but no token with its `jti` was ever issued by that issuer. Someone holds a real key.
    public static let tokenNotIssued = Self(rawValue: "token_not_issued")
    /// Issuance-ledger check: a token with this `jti` was issued, but with other claims.
    public static let tokenClaimsMismatch = Self(rawValue: "token_claims_mismatch")
    /// Issuance-ledger check: the token (or its refresh chain) was revoked at the provider.
    public static let tokenRevoked = Self(rawValue: "token_revoked")
    /// Issuance-ledger check: the ledger could not be read, so the token is refused (fail closed).
    public static let ledgerUnavailable = Self(rawValue: "ledger_unavailable")

    /// Every code defined by Keybound, in the order checks run (the issuance-ledger codes last:
    /// they come from an additional check, after every built-in one).
    public static let all: [RejectionCode] = [
        .tokenTooLarge, .malformedToken, .malformedHeader, .forbiddenHeader, .unsupportedAlgorithm, .wrongType,
        .missingKeyID, .malformedClaims, .missingClaim, .untrustedIssuer, .unknownKey, .issuerKeyMismatch,
        .keyNotUsable, .algorithmMismatch, .badSignature, .keyRevoked, .keyNotActive, .tokenExpired,
        .tokenNotYetValid, .issuedInFuture, .lifetimeTooLong, .audienceMismatch, .tenantMismatch,
        .tokenNotIssued, .tokenClaimsMismatch, .tokenRevoked, .ledgerUnavailable,
    ]
}
