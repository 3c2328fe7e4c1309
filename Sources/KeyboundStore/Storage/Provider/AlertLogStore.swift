import Foundation

/// A security alert as one node raised it, for the store's recent-alerts log (see ``AlertLogStore``).
public struct AlertRecord: Sendable, Hashable {
    /// The node that raised it (its host, process and a random part).
    public let node: String
    /// When it was raised.
    public let raisedAt: Date
    /// The rejection or operational code (`issuer_key_mismatch`, `rotation_overdue`, …).
    public let code: String
    /// The issuer concerned, as the alert named it (a URL for a token, an id for a rotation), if any.
    public let issuer: String?
    /// The alert as the node rendered it, one JSON object.
    public let body: String

    /// A record.
    public init(node: String, raisedAt: Date, code: String, issuer: String?, body: String) {
        self.node = node
        self.raisedAt = raisedAt
        self.code = code
        self.issuer = issuer
        self.body = body
    }
}

/// An alert in the log, with its place in it.
public struct StoredAlert: Sendable, Equatable {
    /// Its number in the log, from 1, in commit order across every node.
    public let sequence: Int64
    /// The alert.
    public let record: AlertRecord
}

/// The recent security alerts of every node that shares the store, so that the admin API of any
/// node lists all of them. A ring, not a record: only the newest alerts are kept (the audit log
/// and the nodes' `critical` log lines are the durable record).
public protocol AlertLogStore: Sendable {
    /// Appends `alert` as the log's next entry, deletes all but the newest `keep` entries, and
    /// returns its sequence.
    @discardableResult
    func appendAlert(_ alert: AlertRecord, keep: Int) async throws(StoreError) -> Int64
    /// The alerts after `sequence`, oldest first, at most `limit`.
    func alerts(after sequence: Int64, limit: Int) async throws(StoreError) -> [StoredAlert]
    /// The newest alert's sequence (0 before the first).
    func latestAlertSequence() async throws(StoreError) -> Int64
}
