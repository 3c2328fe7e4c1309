import Foundation

/// One state-changing action on the store's issuers, as the admin log records it: who did what,
/// to what, why, and whether it happened. Through the admin API (the admin token or a console
/// user's token) or the CLI; refused attempts are recorded too.
public struct AdminAction: Sendable, Equatable {
    /// When it was done, in whole seconds (as the admin API shows it, so anyone can recompute a hash).
    public var at: Date
    /// The actor's issuer: a console user's `iss`; `admin-token` for the admin token, `cli` for the
    /// command line.
    public var actorIssuer: String
    /// The actor: a console user's `sub`; the admin API's or the CLI's actor name otherwise.
    public var actorSubject: String
    /// What was done, a stable dotted name (`key.rotate`, `user.roles.set`).
    public var action: String
    /// The issuer acted on, if any (its id).
    public var issuerID: String?
    /// What in it was acted on (a kid, a client id, a username, an audience); empty when the issuer itself.
    public var target: String
    /// The reason given, if any.
    public var reason: String
    /// `succeeded`, or `refused` / `failed` with the answer (`refused 403 insufficient_scope`).
    public var outcome: String

    /// An action.
    public init(at: Date, actorIssuer: String, actorSubject: String, action: String, issuerID: String?, target: String = "",
                reason: String = "", outcome: String) {
        self.at = Date(timeIntervalSince1970: at.timeIntervalSince1970.rounded(.down))
        self.actorIssuer = actorIssuer
        self.actorSubject = actorSubject
        self.action = action
        self.issuerID = issuerID
        self.target = target
        self.reason = reason
        self.outcome = outcome
    }

    /// The outcome of an action that happened.
    public static let succeeded = "succeeded"
}

/// An action in the admin log: its number, and the hash chain that makes any later change,
/// removal or reordering of entries detectable (``AdminLogChain``).
public struct AdminLogEntry: Sendable, Equatable {
    /// Its number, from 1, in commit order across every node, without gaps.
    public let sequence: Int64
    /// The action.
    public let action: AdminAction
    /// The previous entry's ``hash`` (64 zeros for the first).
    public let previousHash: String
    /// SHA-256 (hex) over the sequence, the previous hash and every field of the action.
    public let hash: String

    /// An entry as stored.
    public init(sequence: Int64, action: AdminAction, previousHash: String, hash: String) {
        self.sequence = sequence
        self.action = action
        self.previousHash = previousHash
        self.hash = hash
    }
}
