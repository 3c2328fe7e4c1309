import Crypto
import Foundation
import Keybound
import Synchronization

/// The remote forgery check: a validator in another process refuses a token with a perfect
/// signature that its issuer never issued, without a round trip per request. It holds each
/// issuer's issuance feed in an ``IssuedTokenSet`` and judges a verified token:
///
/// - held with the same claims: accepted (revocations are ``RevokedTokenCheck``'s);
/// - held with other claims: `token_claims_mismatch`, an alert;
/// - not held: it waits up to ``Limits/raceWindow`` for the feed entry (the token may have
///   arrived first), then asks the provider once (``IssuanceStatusQuerying``), or, with no status
///   endpoint, refuses `token_not_issued` (an alert) if the set is complete;
/// - any issuer whose feed has been silent longer than ``Limits/feedStaleness``: every token
///   refused, `ledger_unavailable`. So are tokens beyond the bounds on waiting requests and
///   status calls in flight: the check fails closed. Those bounds hold per issuer, so one issuer's
///   tokens (a stolen key's forgeries) cannot take another issuer's places.
public struct IssuanceFeedCheck: OnlineTokenCheck {
    /// The bounds of the check.
    public struct Limits: Sendable {
        /// How long a token not (yet) held waits for its feed entry.
        public var raceWindow: Duration = .milliseconds(250)
        /// How long an issuer's feed may be silent before its tokens are all refused.
        public var feedStaleness: TimeInterval = 30
        /// Requests that may wait (for a feed entry or a status call) at once, per issuer.
        public var maximumWaiting = 1_000
        /// Status calls in flight at once, per issuer.
        public var maximumStatusCalls = 16

        /// The defaults above.
        public init() {}
    }

    /// The feed entries held.
    public let issued: IssuedTokenSet
    /// When each issuer's feed was last heard from.
    public let feeds: IssuanceFeedClock
    let limits: Limits
    let status: (any IssuanceStatusQuerying)?
    let applies: @Sendable (String) -> Bool
    private let waiting: BoundedCount
    private let statusCalls: BoundedCount
    private let counters = Counters()

    /// How the tokens judged so far were judged (for metrics and benchmarks).
    public struct Statistics: Sendable, Equatable {
        /// Tokens the set held when they arrived.
        public var heldAtOnce = 0
        /// Tokens that waited for their feed entry.
        public var waited = 0
        /// Of those, the ones whose entry came within the race window.
        public var foundAfterWaiting = 0
        /// Status calls made.
        public var statusCalls = 0

        /// Counts as given.
        public init(heldAtOnce: Int = 0, waited: Int = 0, foundAfterWaiting: Int = 0, statusCalls: Int = 0) {
            (self.heldAtOnce, self.waited, self.foundAfterWaiting, self.statusCalls) = (heldAtOnce, waited, foundAfterWaiting, statusCalls)
        }
    }

    private final class Counters: Sendable {
        let statistics = Mutex(Statistics())
        func count(_ change: (inout Statistics) -> Void) { statistics.withLock { change(&$0) } }
    }

    /// How the tokens judged so far were judged.
    public var statistics: Statistics { counters.statistics.withLock { $0 } }

    /// A check over `issued`, whose feeds report to `feeds`, asking `status` as the last resort.
    /// It judges the tokens of the issuers for which `applies` is true (by default every issuer);
    /// the others pass untouched.
    public init(issued: IssuedTokenSet, feeds: IssuanceFeedClock, status: (any IssuanceStatusQuerying)?, limits: Limits = Limits(),
                applies: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.issued = issued
        self.feeds = feeds
        self.status = status
        self.limits = limits
        self.applies = applies
        waiting = BoundedCount(limit: limits.maximumWaiting)
        statusCalls = BoundedCount(limit: limits.maximumStatusCalls)
    }

    public func check(_ token: VerifiedToken, now: Date) async -> TokenCheckVerdict {
        let issuer = token.issuer
        guard applies(issuer) else { return .accept }
        func reject(_ code: RejectionCode, _ message: String) -> TokenCheckVerdict {
            .reject(TokenRejection(code, message, tokenIssuer: issuer, keyID: token.keyID))
        }
        guard feeds.isFresh(issuer: issuer, staleness: limits.feedStaleness) else {
            return reject(.ledgerUnavailable, "the issuance feed of this issuer has been silent too long")
        }
        guard let tokenID = token.tokenID else { return reject(.tokenNotIssued, "the token has no jti, so it was not issued") }
        let digest = Array(SHA256.hash(data: token.payload))
        /// The verdict of the set, `nil` when it does not hold the token.
        func judged() -> TokenCheckVerdict? {
            switch issued.lookup(issuer: issuer, tokenID: tokenID, claimsDigest: digest) {
            case .issued: .accept
            case .claimsMismatch: reject(.tokenClaimsMismatch, "the issuer issued this jti with other claims")
            case .notHeld: nil
            }
        }
        if let verdict = judged() {
            counters.count { $0.heldAtOnce += 1 }
            return verdict
        }
        counters.count { $0.waited += 1 }
        guard waiting.enter(issuer) else {
            return reject(.ledgerUnavailable, "too many tokens are waiting for the issuance feed")
        }
        defer { waiting.leave(issuer) }
        // Held once the wait ends unless the set was full: then ask the provider.
        if await issued.waitForEntry(issuer: issuer, tokenID: tokenID, timeout: limits.raceWindow), let verdict = judged() {
            counters.count { $0.foundAfterWaiting += 1 }
            return verdict
        }
        guard let status else {
            return issued.isComplete(now: now)
                ? reject(.tokenNotIssued, "the issuer's feed has no such token")
                : reject(.ledgerUnavailable, "the issuance set is full and there is no status endpoint to ask")
        }
        guard statusCalls.enter(issuer) else {
            return reject(.ledgerUnavailable, "too many issuance status calls are in flight")
        }
        defer { statusCalls.leave(issuer) }
        counters.count { $0.statusCalls += 1 }
        switch await status.status(issuer: issuer, tokenID: tokenID) {
        case .issued(let claimsDigest, let expiresAt):
            guard claimsDigest == digest else { return reject(.tokenClaimsMismatch, "the issuer issued this jti with other claims") }
            issued.insert(issuer: issuer, tokenID: tokenID, claimsDigest: claimsDigest, expiresAt: expiresAt, now: now)
            return .accept
        case .revoked:
            return reject(.tokenRevoked, "the issuer revoked this token")
        case .notIssued:
            return reject(.tokenNotIssued, "the issuer says it never issued this token")
        case .unavailable:
            return reject(.ledgerUnavailable, "the issuer's status endpoint did not answer")
        }
    }
}
