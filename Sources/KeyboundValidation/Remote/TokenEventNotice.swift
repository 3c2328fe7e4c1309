import Foundation
import Keybound

/// A token revocation from an issuer's `/<issuer>/token-events` stream, after
/// ``TokenEventSubscriber`` applied it.
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

    /// The event's `data`: a JSON object with `sequence`, `iss`, `jti`, `exp` and `reason`; `nil` if
    /// it is not one, if the SSE `event` type is not `revoked` (or absent), or if the `id` contradicts it.
    static func parse(_ event: ServerSentEvent) -> (sequence: Int64, issuer: String, tokenID: String, expiresAt: Date, reason: String)? {
        guard event.type == "revoked" || event.type == "message",
              let object = try? StrictJSONParser.parseObject(Array(event.data.utf8)),
              case .number(let number)? = object["sequence"], number >= 0, number <= 9_007_199_254_740_992,
              number == number.rounded(.towardZero),
              case .string(let issuer)? = object["iss"], case .string(let tokenID)? = object["jti"], !tokenID.isEmpty,
              case .number(let exp)? = object["exp"], exp.isFinite,
              case .string(let reason)? = object["reason"] else { return nil }
        let sequence = Int64(number)
        if let id = Int64(event.lastEventID), id != sequence { return nil }
        return (sequence, issuer, tokenID, Date(timeIntervalSince1970: exp), reason)
    }
}
