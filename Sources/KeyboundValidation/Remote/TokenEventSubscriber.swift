import AsyncHTTPClient
import Foundation
import Keybound
import ServiceLifecycle
import Synchronization

/// Follows `/<issuer>/token-events` of each configured issuer as one of its server clients. Each
/// issuance entry goes into the ``IssuanceFeed``'s set (when the remote forgery check is on), and
/// every byte received (entries, revocations, keep-alives) tells its clock that the feed is alive.
/// Each token revocation is applied at once:
///
/// - the (`iss`, `jti`) goes into ``RevokedTokens`` until the token's `exp`, so ``RevokedTokenCheck``
///   in the verifier's policy refuses it (`token_revoked`) even when no cache held it;
/// - then its ``VerifiedTokenCache`` entries are removed (``VerifiedTokenCache/invalidate(issuer:tokenID:)``),
///   which also stops a verification already under way from caching it afterwards.
///
/// The provider only sends revocations of tokens for audiences this client serves. An event whose
/// `iss` is not exactly the configured issuer, or that was applied before (its sequence is not
/// above the last one applied), is ignored. The first connection has no `Last-Event-ID`, so the
/// provider replays every revocation of a token that has not expired; reconnects resume after the
/// last event id. Reconnection and back-off are those of ``KeyEventSubscriber``
/// (`EventStreamFollower`).
///
/// Run it as a ServiceLifecycle `Service`, or call ``run()`` in a task, until cancelled.
public final class TokenEventSubscriber: IssuerStreamSubscriber, Sendable {
    /// One issuer followed, and the server client credentials used for it.
    public struct Issuer: Sendable {
        /// The issuer URL, exactly as in its tokens' `iss`.
        public let url: String
        /// A server client of that issuer.
        public let credentials: StreamCredentials

        /// An issuer to follow with `credentials`.
        public init(url: String, credentials: StreamCredentials) {
            self.url = url
            self.credentials = credentials
        }
    }

    /// The issuers followed.
    public let issuers: [Issuer]
    /// Where revocations are kept until the tokens expire.
    public let revoked: RevokedTokens
    /// The cache whose entries revocations remove.
    public let cache: VerifiedTokenCache?
    /// Where issuance entries go, and where each feed reports that it was heard from; `nil` when
    /// the remote forgery check is off (issuance entries are then ignored).
    public let issuance: IssuanceFeed?
    /// The configuration.
    public let configuration: EventStreamConfiguration
    let now: @Sendable () -> Date
    let opener: any EventStreamOpening
    let onEvent: @Sendable (TokenEventNotice) -> Void
    /// The state of each issuer's stream (read it through the ``IssuerStreamSubscriber`` accessors).
    public let board: EventStreamStatusBoard
    private let caughtUp = Mutex(Set<ExactBytes>())

    /// Whether `issuer`'s stream has once delivered the whole backlog the provider had when it
    /// opened (the provider's `: caught up` comment): from then on the feed holds every live token.
    public func hasCaughtUp(_ issuer: String) -> Bool { caughtUp.withLock { $0.contains(ExactBytes(issuer)) } }

    func markCaughtUp(_ issuer: String) { _ = caughtUp.withLock { $0.insert(ExactBytes(issuer)) } }

    /// A subscriber for `issuers`, filling `revoked`, evicting from `cache` and, with `issuance`,
    /// holding the issuance feed (whose entries expire by the wall clock). `onEvent` is called after
    /// each revocation was applied (keep it quick).
    public convenience init(issuers: [Issuer], revoked: RevokedTokens, cache: VerifiedTokenCache?, issuance: IssuanceFeed? = nil,
                            configuration: EventStreamConfiguration = EventStreamConfiguration(),
                            onEvent: @escaping @Sendable (TokenEventNotice) -> Void = { _ in }) {
        self.init(issuers: issuers, revoked: revoked, cache: cache, issuance: issuance, configuration: configuration,
                  now: { Date() }, onEvent: onEvent)
    }

    /// As above, the feed's entries expiring by `now` (the verifier's clock).
    public convenience init(issuers: [Issuer], revoked: RevokedTokens, cache: VerifiedTokenCache?, issuance: IssuanceFeed?,
                            configuration: EventStreamConfiguration = EventStreamConfiguration(),
                            now: @escaping @Sendable () -> Date, onEvent: @escaping @Sendable (TokenEventNotice) -> Void) {
        self.init(issuers: issuers, revoked: revoked, cache: cache, issuance: issuance, configuration: configuration,
                  opener: AsyncHTTPClientEventStreamOpener(idleTimeout: configuration.idleTimeout, maximumBufferedChunks: 256),
                  now: now, onEvent: onEvent)
    }

    /// As the public initializer, the streams going through `client`, which must not follow
    /// redirects (see ``OutgoingHTTP/makeOwnedClient()``).
    package convenience init(issuers: [Issuer], revoked: RevokedTokens, cache: VerifiedTokenCache?, issuance: IssuanceFeed?,
                             client: HTTPClient, now: @escaping @Sendable () -> Date,
                             onEvent: @escaping @Sendable (TokenEventNotice) -> Void) {
        let configuration = EventStreamConfiguration()
        self.init(issuers: issuers, revoked: revoked, cache: cache, issuance: issuance, configuration: configuration,
                  opener: AsyncHTTPClientEventStreamOpener(idleTimeout: configuration.idleTimeout, maximumBufferedChunks: 256, client: client),
                  now: now, onEvent: onEvent)
    }

    init(issuers: [Issuer], revoked: RevokedTokens, cache: VerifiedTokenCache?, issuance: IssuanceFeed? = nil,
         configuration: EventStreamConfiguration, opener: any EventStreamOpening, now: @escaping @Sendable () -> Date = { Date() },
         onEvent: @escaping @Sendable (TokenEventNotice) -> Void) {
        self.issuers = issuers
        self.revoked = revoked
        self.cache = cache
        self.issuance = issuance
        self.now = now
        self.configuration = configuration
        self.opener = opener
        self.onEvent = onEvent
        self.board = EventStreamStatusBoard(issuers: issuers.map(\.url))
    }

    /// Follows every issuer until the task is cancelled or a graceful shutdown begins.
    public func run() async {
        await followEach(self.issuers) { issuer in await self.follow(issuer) }
    }

    private func follow(_ issuer: Issuer) async {
        await EventStreamFollower.follow(issuer.url, path: "/token-events", configuration: configuration, opener: opener,
                                         credentials: issuer.credentials, board: board, consumer: TokenEventConsumer(subscriber: self, issuer: issuer.url))
    }
}

/// What ``TokenEventSubscriber`` does with one issuer's token-event stream.
struct TokenEventConsumer: EventStreamConsumer {
    let subscriber: TokenEventSubscriber
    let issuer: String

    /// An answer of 200 is not yet a live feed: it is heard from once bytes arrive (the backlog,
    /// the provider's `: caught up`, entries, keep-alives), which a stream whose store read fails never sends.
    func streamOpened() -> Task<Void, Never>? { nil }

    func received() {
        subscriber.issuance?.feeds.heard(issuer: issuer)
    }

    /// The provider's `: caught up`: everything it had when the stream opened has been applied.
    func comment(_ text: String) {
        if text == "caught up" { subscriber.markCaughtUp(issuer) }
    }

    func apply(_ event: ServerSentEvent, position: inout StreamPosition, group: inout DiscardingTaskGroup) -> Bool {
        guard let parsed = ParsedTokenEvent.parse(event) else {
            subscriber.board.update(issuer) { $0.lastError = "a malformed token event was ignored" }
            return false
        }
        guard parsed.issuer.isExactly(issuer) else { return false }
        if let through = position.appliedThrough, parsed.sequence <= through { return false }
        position.appliedThrough = parsed.sequence
        switch parsed.change {
        case .issued(let claimsDigest):
            guard subscriber.issuance?.holds(issuer) == true else { break }
            subscriber.issuance?.issued.insert(issuer: issuer, tokenID: parsed.tokenID, claimsDigest: claimsDigest,
                                               expiresAt: parsed.expiresAt, now: subscriber.now())
        case .revoked(let reason):
            // The list first, then the cache: a verification that misses the list has begun before,
            // and the eviction's generation bump keeps it from caching its result.
            subscriber.revoked.revoke(issuer: issuer, tokenID: parsed.tokenID, expiresAt: parsed.expiresAt)
            let evicted = subscriber.cache?.invalidate(issuer: issuer, tokenID: parsed.tokenID) ?? 0
            subscriber.onEvent(TokenEventNotice(issuer: issuer, sequence: parsed.sequence, tokenID: parsed.tokenID,
                                                expiresAt: parsed.expiresAt, reason: reason, evicted: evicted))
        }
        return true
    }
}
