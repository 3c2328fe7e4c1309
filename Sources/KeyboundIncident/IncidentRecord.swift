import Foundation

/// An incident's state, as kept in `<data>/incidents/<id>/incident.json` (written atomically after
/// every step).
public struct IncidentRecord: Sendable, Codable, Equatable {
    /// One completed step.
    public struct CompletedStep: Sendable, Codable, Equatable {
        /// Which step.
        public var step: IncidentStep
        /// When it completed.
        public var completedAt: Date
        /// What it did, in one line.
        public var detail: String
    }

    /// The incident id, e.g. `INC-20261129-consumers-3f9a1c2b`.
    public var id: String
    /// The issuer id whose key is compromised.
    public var issuerID: String
    /// The issuer's URL (`iss`).
    public var issuerURL: String
    /// The compromised key's `kid`.
    public var keyID: String
    /// Why the response was started.
    public var reason: String
    /// When the response started.
    public var openedAt: Date
    /// The steps done so far, in order.
    public var completed: [CompletedStep]
    /// The issuer's active key after the response.
    public var freshKeyID: String?
    /// Access and ID tokens revoked, and refresh chains cut.
    public var tokensRevoked: Int?
    /// Refresh chains cut.
    public var chainsRevoked: Int?
    /// When the key was revoked (by this response, or earlier).
    public var keyRevokedAt: Date?

    /// Whether every step is done.
    public var isClosed: Bool { completed.contains { $0.step == .close } }

    /// Whether `step` is done.
    public func isDone(_ step: IncidentStep) -> Bool { completed.contains { $0.step == step } }

    /// The next step to run, or `nil` when closed.
    public var nextStep: IncidentStep? { IncidentStep.allCases.first { !isDone($0) } }
}
