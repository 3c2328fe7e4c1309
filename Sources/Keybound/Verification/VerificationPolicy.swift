import Foundation

/// What a ``TokenVerifier`` demands of a token beyond a good signature by a trusted key.
///
/// There is no "accept any audience", "skip the issuer" or "allow none" setting: the audience is
/// required, the issuer comes from the trust store, and the algorithms are fixed.
public struct VerificationPolicy: Sendable {
    /// The largest clock skew a policy may allow.
    public static let maximumClockSkew: TimeInterval = 300
    /// The default token size limit: 16 KiB.
    public static let defaultMaximumTokenSize = 16 * 1024

    /// The audience the token's `aud` must contain exactly.
    public let audience: String
    /// Which kind of token is accepted.
    public let tokenType: ExpectedTokenType
    /// How far clocks may disagree, applied to `exp`, `nbf`, `iat` and key windows.
    public let clockSkew: TimeInterval
    /// Claims required on top of those of ``tokenType``.
    public let additionalRequiredClaims: [String]
    /// Tokens larger than this many bytes are rejected before any parsing.
    public let maximumTokenSize: Int
    /// Further checks run after every built-in one, in order.
    public let additionalChecks: [any TokenCheck]

    /// A policy. Throws ``PolicyError`` for a skew outside 0…300 s, an empty audience, or a size limit outside 1…256 KiB.
    public init(
        audience: String,
        tokenType: ExpectedTokenType = .accessToken,
        clockSkew: TimeInterval = 60,
        additionalRequiredClaims: [String] = [],
        maximumTokenSize: Int = defaultMaximumTokenSize,
        additionalChecks: [any TokenCheck] = []
    ) throws(PolicyError) {
        guard !audience.isEmpty else { throw PolicyError("the expected audience must not be empty") }
        guard clockSkew >= 0, clockSkew <= Self.maximumClockSkew else {
            throw PolicyError("clock skew must be between 0 and \(Int(Self.maximumClockSkew)) seconds")
        }
        guard (1...262_144).contains(maximumTokenSize) else {
            throw PolicyError("the token size limit must be between 1 byte and 256 KiB")
        }
        self.audience = audience
        self.tokenType = tokenType
        self.clockSkew = clockSkew
        self.additionalRequiredClaims = additionalRequiredClaims
        self.maximumTokenSize = maximumTokenSize
        self.additionalChecks = additionalChecks
        var registered: RegisteredClaimNameSet = []
        var others: [String] = []
        for name in tokenType.requiredClaims + additionalRequiredClaims {
            if let known = RegisteredClaimName(exactly: name) { registered.insert(known.bit) } else { others.append(name) }
        }
        self.requiredRegisteredClaims = registered
        self.requiredOtherClaims = others
    }

    /// Required registered claims, checked against the bits ``RegisteredClaims`` records.
    let requiredRegisteredClaims: RegisteredClaimNameSet
    /// Required claims that are not registered ones, looked up by name.
    let requiredOtherClaims: [String]

    /// The first required claim missing from the scanned claims, if any.
    func missingClaim(_ registered: RegisteredClaims, in claims: ScannedObject, buffer: UnsafeRawBufferPointer) -> String? {
        if !registered.present.isSuperset(of: requiredRegisteredClaims) {
            for name in RegisteredClaimName.allCases where requiredRegisteredClaims.contains(name.bit) && !registered.present.contains(name.bit) {
                return name.text
            }
        }
        return requiredOtherClaims.first { !claims.contains($0, in: buffer) }
    }
}

/// A verification policy that cannot be built.
public struct PolicyError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with it.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// An extra check a verifier runs on a token that passed every built-in check.
///
/// It answers ``TokenCheckVerdict/accept`` or ``TokenCheckVerdict/reject(_:)`` with the
/// rejection's reason (for example, a revocation list that refuses a revoked token).
public protocol TokenCheck: Sendable {
    /// Judges a token whose signature, key and claims already passed.
    func check(_ token: VerifiedToken, now: Date) -> TokenCheckVerdict
}

/// What an extra check decided about a token: accept it, or refuse it with a reason. An explicit
/// answer, so that a check cannot accept by forgetting to return a rejection.
public enum TokenCheckVerdict: Sendable {
    /// The token passes this check.
    case accept
    /// The token is refused, with its reason (a code of docs/errors.md).
    case reject(TokenRejection)
}
