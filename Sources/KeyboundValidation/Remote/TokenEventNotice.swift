import Foundation
import Keybound

/// A token revocation from an issuer's `/<issuer>/token-events` stream, after
/// ``TokenEventSubscriber`` applied it. (Issuance entries go into the ``IssuedTokenSet``
/// without a notice.)
public struct TokenEventNotice: Sendable, Equatable {
    /// The issuer, exactly as configured (and as the event's `iss` said).
    public let issuer: String
    /// The issuer's token-event sequence number (the event's `id`).
    public let sequence: Int64
    /// The revoked token's `jti`.
    public let tokenID: String
    /// The revoked token's `exp`: the revocation is kept until then.
    public let expiresAt: Date
    /// The provider's reason code (`client_revocation`, `refresh_token_reuse`,
    /// `authorization_code_replay`, …).
    public let reason: String
    /// How many verified-token cache entries the revocation removed.
    public let evicted: Int

    /// A notice.
    public init(issuer: String, sequence: Int64, tokenID: String, expiresAt: Date, reason: String, evicted: Int) {
        self.issuer = issuer
        self.sequence = sequence
        self.tokenID = tokenID
        self.expiresAt = expiresAt
        self.reason = reason
        self.evicted = evicted
    }
}

/// One event of an issuer's `/<issuer>/token-events` stream, as read off the wire: an access token
/// issued (with its claims digest) or revoked (with the provider's reason code).
struct ParsedTokenEvent: Equatable {
    /// Issued, with the SHA-256 of its JWS payload; or revoked, with the reason code.
    enum Change: Equatable {
        case issued(claimsDigest: [UInt8])
        case revoked(reason: String)
    }

    let sequence: Int64
    let issuer: String
    let tokenID: String
    let expiresAt: Date
    let change: Change

    /// The event's `data`: a JSON object with `sequence`, `iss`, `jti`, `exp` and, for `event:
    /// issued`, `claims_digest` (64 lowercase hex digits) or, for `event: revoked` (or an untyped
    /// event), `reason`; `nil` if it is not one, or if the `id` contradicts it.
    static func parse(_ event: ServerSentEvent) -> ParsedTokenEvent? {
        guard event.type == "revoked" || event.type == "issued" || event.type == "message",
              let object = try? StrictJSONParser.parseObject(Array(event.data.utf8)),
              case .number(let number)? = object["sequence"], number >= 0, number <= 9_007_199_254_740_992,
              number == number.rounded(.towardZero),
              case .string(let issuer)? = object["iss"], case .string(let tokenID)? = object["jti"], !tokenID.isEmpty,
              case .number(let exp)? = object["exp"], exp.isFinite else { return nil }
        let sequence = Int64(number)
        if let id = Int64(event.lastEventID), id != sequence { return nil }
        let change: Change
        if event.type == "issued" {
            guard case .string(let hex)? = object["claims_digest"], let digest = Self.digest(hex) else { return nil }
            change = .issued(claimsDigest: digest)
        } else {
            guard case .string(let reason)? = object["reason"] else { return nil }
            change = .revoked(reason: reason)
        }
        return ParsedTokenEvent(sequence: sequence, issuer: issuer, tokenID: tokenID, expiresAt: Date(timeIntervalSince1970: exp),
                                change: change)
    }

    /// The 32 bytes of a SHA-256 digest written as 64 lowercase hex digits, or `nil`.
    static func digest(_ hex: String) -> [UInt8]? {
        hex.utf8.count == 64 ? Hex.decode(hex) : nil
    }
}
