import Foundation

/// What redeeming an authorization code found.
public enum CodeRedemption: Sendable, Equatable {
    /// The code was unused; it is now marked used, with `chainID` recorded for replay detection.
    case redeemed(AuthorizationCodeRecord)
    /// The code had been redeemed before: a replay. The chain it created has been revoked.
    case replayed(AuthorizationCodeRecord)
    /// No such code at this issuer.
    case unknown
}

/// What exchanging a refresh token found.
public enum RefreshExchange: Sendable, Equatable {
    /// The token was live; it is now spent.
    case exchanged(RefreshTokenRecord)
    /// The token had been spent before: reuse. Its whole chain has been revoked.
    case reused(RefreshTokenRecord)
    /// The token (or its chain) was revoked, or it expired.
    case inactive(RefreshTokenRecord)
    /// No such token at this issuer.
    case unknown
}

/// When and why a token was revoked.
public struct TokenRevocation: Sendable, Equatable {
    /// When.
    public var at: Date
    /// The operator's or the rule's words.
    public var reason: String

    /// A revocation.
    public init(at: Date, reason: String) {
        self.at = at
        self.reason = reason
    }
}

/// The grants an issuer hands out and takes back: authorization codes, refresh tokens, token
/// and chain revocations, the `private_key_jwt` replay cache, and the per-issuer token-event log.
///
/// Every revocation that concerns a live access token of the ledger appends its issuer's next
/// token event in the same transaction, numbered in commit order (one sequence per issuer).
public protocol GrantStore: Sendable {
    /// Stores a new authorization code.
    func insert(_ code: AuthorizationCodeRecord) async throws(StoreError)
    /// Atomically marks the code `codeHash` of `issuerID` used. A second redemption revokes the
    /// refresh chain (and the tokens) the first one created (RFC 6749 §4.1.2).
    func redeemCode(issuerID: String, codeHash: String, chainID: String, now: Date) async throws(StoreError) -> CodeRedemption

    /// Atomically spends the refresh token `tokenHash` of `issuerID`. Presenting a spent token
    /// revokes every token of its chain (OAuth 2.0 Security BCP §4.14.2).
    func spendRefreshToken(issuerID: String, tokenHash: String, now: Date) async throws(StoreError) -> RefreshExchange
    /// The refresh token with hash `tokenHash` at issuer `issuerID`, or `nil`.
    func refreshToken(issuerID: String, tokenHash: String) async throws(StoreError) -> RefreshTokenRecord?
    /// Every refresh token of issuer `issuerID`'s chain `chainID`, oldest first.
    func refreshChain(issuerID: String, chainID: String) async throws(StoreError) -> [RefreshTokenRecord]
    /// Revokes every refresh token of issuer `issuerID`'s chain `chainID` and every access and ID
    /// token issued in it; each live access token gets a token event (`kind` is the published reason).
    func revokeChain(issuerID: String, chainID: String, reason: String, kind: TokenRevocationReason,
                     now: Date) async throws(StoreError)

    /// Records that issuer `issuerID`'s token `tokenID` is revoked (idempotent: the first
    /// revocation stands). A live access token of the ledger gets its token event.
    func revokeToken(issuerID: String, tokenID: String, reason: String, kind: TokenRevocationReason,
                     now: Date) async throws(StoreError)
    /// When and why issuer `issuerID`'s token `tokenID` was revoked, or `nil`.
    func revocation(issuerID: String, tokenID: String) async throws(StoreError) -> TokenRevocation?

    /// Records a `private_key_jwt` assertion's `jti`; `false` if it was seen before (a replay).
    func recordAssertion(issuerID: String, clientID: String, tokenID: String, expiresAt: Date) async throws(StoreError) -> Bool

    /// Issuer `issuerID`'s token events (issuances and revocations of access tokens) after
    /// `sequence`, oldest first, at most `limit`.
    func tokenEvents(issuerID: String, after sequence: Int64, limit: Int) async throws(StoreError) -> [TokenEvent]
    /// The sequence number of issuer `issuerID`'s latest token event (0 when it has none).
    func latestTokenEventSequence(issuerID: String) async throws(StoreError) -> Int64
    /// The sequence number of issuer `issuerID`'s first token event whose token has not expired at
    /// `now`, or, when there is none, the number the next event will get: where a stream with no
    /// resume point starts.
    func firstLiveTokenEventSequence(issuerID: String, now: Date) async throws(StoreError) -> Int64
    /// Told, in this process and after the commit, of every batch of token events this instance
    /// appended: issued access tokens (the ledger's commits) and revocations (RFC 7009, refresh-token
    /// reuse, code replay, incident response).
    var tokenEventsAppended: StoreObservers<[TokenEvent]> { get }

    /// Deletes what can no longer matter as of `now` (docs/provider.md, "Pruning"), keeping rows
    /// `margin` seconds past their expiry. Never the ledger, revocations or token events.
    func prune(now: Date, margin: TimeInterval) async throws(StoreError) -> PruneReport
}

extension GrantStore {
    /// Revokes a chain as an operator would (``TokenRevocationReason/administrative``).
    public func revokeChain(issuerID: String, chainID: String, reason: String, now: Date) async throws(StoreError) {
        try await revokeChain(issuerID: issuerID, chainID: chainID, reason: reason, kind: .administrative, now: now)
    }

    /// Revokes a token as an operator would (``TokenRevocationReason/administrative``).
    public func revokeToken(issuerID: String, tokenID: String, reason: String, now: Date) async throws(StoreError) {
        try await revokeToken(issuerID: issuerID, tokenID: tokenID, reason: reason, kind: .administrative, now: now)
    }

    /// Up to 500 token events after `sequence`.
    public func tokenEvents(issuerID: String, after sequence: Int64) async throws(StoreError) -> [TokenEvent] {
        try await tokenEvents(issuerID: issuerID, after: sequence, limit: 500)
    }

    /// Prunes with the default margin (``PruneReport/defaultMargin``).
    @discardableResult
    public func prune(now: Date) async throws(StoreError) -> PruneReport {
        try await prune(now: now, margin: PruneReport.defaultMargin)
    }
}
