import Foundation

/// One request's ledger entry: its tokens and, if any, the refresh token to store with them.
public struct IssuanceEntry: Sendable {
    /// Ledger rows (access, ID and refresh tokens).
    public var records: [IssuanceRecord]
    /// The refresh token state to store, if the grant issued one.
    public var refreshToken: RefreshTokenRecord?
    /// When the tokens were minted from a copy of the issuer's directory: that copy's version.
    /// The commit is refused with ``StoreErrorCode/directoryChanged`` when the issuer's
    /// directory has changed since (see ``ProviderDirectory/directoryVersion(issuerID:)``).
    public var directoryVersion: DirectoryVersion?

    /// An entry.
    public init(records: [IssuanceRecord], refreshToken: RefreshTokenRecord? = nil, directoryVersion: DirectoryVersion? = nil) {
        self.records = records
        self.refreshToken = refreshToken
        self.directoryVersion = directoryVersion
    }
}

/// A version of one issuer's directory: it grows with every change to the issuer's clients, users
/// or resources, whoever makes it (the database's triggers count them).
public struct DirectoryVersion: Sendable, Equatable {
    /// The issuer.
    public let issuerID: String
    /// The count of changes (0 before the first).
    public let version: Int64

    /// A version.
    public init(issuerID: String, version: Int64) {
        self.issuerID = issuerID
        self.version = version
    }
}

/// One group commit of the ledger, for metrics.
public struct LedgerBatch: Sendable, Equatable {
    /// Requests committed together.
    public var size: Int
    /// How long the transaction took, in seconds.
    public var seconds: Double

    /// A batch.
    public init(size: Int, seconds: Double) {
        self.size = size
        self.seconds = seconds
    }
}

/// A ledger record and, if the token was revoked, why.
public struct IssuanceStatus: Sendable, Equatable {
    /// What was issued.
    public var record: IssuanceRecord
    /// The revocation's reason, or `nil` while the token stands.
    public var revocationReason: String?

    /// A status.
    public init(record: IssuanceRecord, revocationReason: String?) {
        self.record = record
        self.revocationReason = revocationReason
    }
}

/// The issuance ledger: every token Keybound issued, committed before it is handed out, never
/// updated or deleted. Looked up as (issuer, jti).
///
/// ``commit(_:)`` is a group commit: concurrent requests share one transaction, so a burst of
/// grants costs one durable commit, not one each.
public protocol IssuanceLedgerStore: Sendable {
    /// Commits `entry`; returns once it is durable. Throws ``StoreErrorCode/duplicateToken`` for
    /// a `jti` the issuer already used and ``StoreErrorCode/chainRevoked`` when the entry's refresh
    /// chain was revoked while it waited; the caller must then not hand out the tokens. One bad
    /// entry fails only its own caller, never the others of its batch.
    func commit(_ entry: IssuanceEntry) async throws(StoreError)
    /// Told of each committed batch's size and duration.
    var ledgerBatches: StoreObservers<LedgerBatch> { get }
    /// The ledger record of issuer `issuerID`'s token `tokenID`, or `nil` if it never issued it.
    func issuance(issuerID: String, tokenID: String) async throws(StoreError) -> IssuanceRecord?
    /// The ledger record of issuer `issuerID`'s token `tokenID` and, if it was revoked, why: the
    /// online ledger check's one read per token it has not seen.
    func issuanceStatus(issuerID: String, tokenID: String) async throws(StoreError) -> IssuanceStatus?
    /// Every access and ID token issuer `issuerID` signed with key `keyID`, in sequence order (a
    /// scan of the ledger: for incident response, not for requests).
    func issuances(issuerID: String, keyID: String) async throws(StoreError) -> [IssuanceRecord]
    /// Ledger records of every issuer in sequence order, after `sequence`, at most `limit` (for
    /// operators' tools: the hunt, `keybound migrate`).
    func issuances(after sequence: Int64, limit: Int) async throws(StoreError) -> [IssuanceRecord]
}
