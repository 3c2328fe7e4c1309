/// A token the verifier refused: a stable code and a one-line reason.
public struct TokenRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable code users can look up in `docs/errors.md`.
    public let code: RejectionCode
    /// One line for humans, without token secrets or key material.
    public let reason: String
    /// The token's `iss`, when it was readable.
    public let tokenIssuer: String?
    /// The token's `kid`, when it was readable.
    public let keyID: String?
    /// For `issuer_key_mismatch`: the issuer the key really belongs to.
    public let keyIssuer: String?

    /// Creates a rejection.
    public init(_ code: RejectionCode, _ reason: String, tokenIssuer: String? = nil, keyID: String? = nil, keyIssuer: String? = nil) {
        self.code = code
        self.reason = Self.oneLine(reason)
        self.tokenIssuer = tokenIssuer
        self.keyID = keyID
        self.keyIssuer = keyIssuer
    }

    /// Whether this rejection should raise a security alert rather than count as noise:
    /// a real key used across issuers, a good signature by a revoked or inactive key, a good
    /// signature on a token naming another tenant than its issuer's (the tenant check runs after
    /// the signature, so only a holder of the issuer's key can make one), or a token with a good
    /// signature that its issuer never issued (or issued with other claims).
    public var isAlert: Bool { Self.alertCodes.contains(code) }

    /// The codes that are alerts (see ``isAlert``).
    public static let alertCodes: Set<RejectionCode> = [
        .issuerKeyMismatch, .keyRevoked, .keyNotActive, .tenantMismatch, .tokenNotIssued, .tokenClaimsMismatch,
    ]

    public var description: String { "\(code.rawValue): \(reason)" }

    /// Reasons quote attacker-chosen strings: keep them one printable line of bounded length.
    static func oneLine(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(512) {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            scalars.append(isControl ? " " : scalar)
        }
        return String(scalars)
    }
}

/// The outcome of verifying a token: a ``VerifiedToken`` or a ``TokenRejection``. "No" is a value, not a throw.
public enum VerificationResult: Sendable {
    /// Every check passed.
    case verified(VerifiedToken)
    /// A check failed; the rejection says which and why.
    case rejected(TokenRejection)

    /// The verified token, or `nil`.
    public var token: VerifiedToken? {
        if case .verified(let token) = self { return token }
        return nil
    }

    /// The rejection, or `nil`.
    public var rejection: TokenRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }

    /// The verified token, or throws the rejection.
    public func get() throws(TokenRejection) -> VerifiedToken {
        switch self {
        case .verified(let token): return token
        case .rejected(let rejection): throw rejection
        }
    }
}
