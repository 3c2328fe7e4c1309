import Foundation

/// Every use of one key (finding 1): the audit records whose token names its `kid`, whatever
/// issuer the token claims (a cross-issuer forgery names the stolen key under another `iss`).
public struct HuntKeyUse: Sendable {
    /// Counts and first and last sighting of a group of records.
    public struct Tally: Sendable, Equatable {
        /// Records allowed.
        public var allowed = 0
        /// Records denied.
        public var denied = 0
        /// The first record's time.
        public var firstSeen: Date?
        /// The last record's time.
        public var lastSeen: Date?
        /// All records.
        public var total: Int { allowed + denied }

        /// An empty tally.
        public init() {}

        mutating func add(allowed isAllowed: Bool, timeMS: Int64) {
            if isAllowed { allowed += 1 } else { denied += 1 }
            let time = HuntTime.date(milliseconds: timeMS)
            if firstSeen.map({ time < $0 }) ?? true { firstSeen = time }
            if lastSeen.map({ time > $0 }) ?? true { lastSeen = time }
        }
    }

    /// One mailbox the key reached, with the item ids the allowed requests touched.
    public struct MailboxUse: Sendable {
        /// The mailbox's tenant, as `<tid> of <issuer>` (a tenant is (issuer, tid)); refused tokens'
        /// claims are marked `(claimed by refused tokens)`.
        public var tenant: String?
        /// The mailbox.
        public var mailbox: String
        /// Its records.
        public var tally: Tally
        /// Item ids touched by allowed requests (at most ``HuntKeyUse/maximumItemsPerMailbox``).
        public var itemIDs: [String]
        /// Whether more item ids were touched than are listed.
        public var itemIDsTruncated: Bool
    }

    /// The records of one group (a tenant, a claimed issuer, a client, a rejection code).
    public struct Group: Sendable {
        /// The group's value (`nil`: the records did not name one).
        public var name: String?
        /// Its records.
        public var tally: Tally
    }

    /// At most this many item ids are listed per mailbox.
    public static let maximumItemsPerMailbox = 200

    /// The issuer as given (URL or id).
    public var issuer: String
    /// The issuer's URL, when the key store knows the issuer.
    public var issuerURL: String?
    /// The issuer's id, when the key store knows the issuer.
    public var issuerID: String?
    /// The `kid`.
    public var keyID: String
    /// The key's state now, if the key store has the key under that issuer.
    public var keyState: String?
    /// When the key was revoked, if it was.
    public var keyRevokedAt: Date?
    /// All records that name the key, in the window.
    public var total: Tally
    /// Per tenant, (issuer, tid), named `<tid> of <issuer>`; what refused tokens only claimed is
    /// grouped apart and marked `(claimed by refused tokens)`.
    public var byTenant: [Group]
    /// Per mailbox.
    public var byMailbox: [MailboxUse]
    /// Per issuer the tokens claimed (`iss`): other than the key's own issuer means cross-issuer use.
    public var byClaimedIssuer: [Group]
    /// Per client id.
    public var byClient: [Group]
    /// Denied records per rejection code.
    public var byRejectionCode: [Group]
}
