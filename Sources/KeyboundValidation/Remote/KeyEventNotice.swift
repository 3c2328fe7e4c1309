import Foundation
import Keybound

/// A key event from an issuer's push channel, after ``KeyEventSubscriber`` applied it.
public struct KeyEventNotice: Sendable, Equatable {
    /// What the subscriber did with the event.
    public enum Action: Sendable, Equatable {
        /// The key was revoked in the ``RemoteTrustStore`` (and its verified-token cache entries removed).
        case revoked
        /// The issuer's JWKS was fetched again; `succeeded` says whether that worked.
        case refreshed(succeeded: Bool)
        /// Nothing to do (an event kind that does not change the published keys, such as `resealed`).
        case ignored
    }

    /// The issuer, exactly as configured (and as the event's `iss` said).
    public let issuer: String
    /// The provider's key store sequence number (the event's `id`).
    public let sequence: Int64
    /// The event kind: `created`, `activated`, `verify-only`, `retired`, `revoked`, …
    public let kind: String
    /// The key's `kid`.
    public let keyID: String
    /// When the event happened at the provider, if it said.
    public let at: Date?
    /// What the subscriber did.
    public let action: Action

    /// A notice.
    public init(issuer: String, sequence: Int64, kind: String, keyID: String, at: Date?, action: Action) {
        self.issuer = issuer
        self.sequence = sequence
        self.kind = kind
        self.keyID = keyID
        self.at = at
        self.action = action
    }

    /// The event's `data`: a JSON object with `sequence`, `iss`, `kid`, `kind` and optionally `at`;
    /// `nil` if it is not one, or if the SSE `event` type or `id` contradicts it.
    static func parse(_ event: ServerSentEvent) -> (sequence: Int64, issuer: String, keyID: String, kind: String, at: Date?)? {
        guard let object = try? StrictJSONParser.parseObject(Array(event.data.utf8)),
              case .number(let number)? = object["sequence"], number >= 0, number <= 9_007_199_254_740_992,
              number == number.rounded(.towardZero),
              case .string(let issuer)? = object["iss"], case .string(let keyID)? = object["kid"], !keyID.isEmpty,
              case .string(let kind)? = object["kind"], !kind.isEmpty else { return nil }
        let sequence = Int64(number)
        guard event.type == "message" || event.type == kind else { return nil }
        if let id = Int64(event.lastEventID), id != sequence { return nil }
        var at: Date?
        if case .number(let seconds)? = object["at"], seconds.isFinite { at = Date(timeIntervalSince1970: seconds) }
        return (sequence, issuer, keyID, kind, at)
    }
}
