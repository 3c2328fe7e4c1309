import AsyncHTTPClient
import Foundation
import Keybound
import ServiceLifecycle

/// The push channel's client: for every issuer of a ``RemoteTrustStore`` it keeps a streaming GET
/// open to `<issuer>/key-events` (Server-Sent Events) and applies each key event as it arrives.
///
/// - `revoked`: ``RemoteTrustStore/revoke(issuer:keyID:)`` at once, which also clears the
///   ``VerifiedTokenCache`` entries of that key.
/// - `created`, `activated`, `verify-only`, `retired`: the issuer's JWKS is fetched again (bypassing
///   the unknown-`kid` rate limit; concurrent refreshes are coalesced).
/// - An event whose `iss` is not exactly the configured issuer is ignored, and so is an event
///   already applied (its sequence number is not above the last one applied).
///
/// Start-up and reconnects cannot miss a revocation: the first connection starts at the present
/// (no `Last-Event-ID`), and only once the stream has answered 200 is the JWKS loaded, so a key
/// revoked before that is absent from it and one revoked after arrives as an event. A reconnect
/// sends `Last-Event-ID` (the provider replays what was missed) and refreshes the JWKS again.
/// Reconnects back off exponentially (``EventStreamConfiguration``); see `EventStreamFollower`.
///
/// With `credentials` for an issuer (a server client of it), the stream is authenticated and uses
/// the provider's reserved slots, which anonymous streams cannot fill.
///
/// Run it as a ServiceLifecycle `Service` next to the application, or call ``run()`` in a task;
/// it runs until that task is cancelled (or a graceful shutdown).
public final class KeyEventSubscriber: IssuerStreamSubscriber, Sendable {
    /// Reconnection and limits.
    public typealias Configuration = EventStreamConfiguration
    /// The push channel of one issuer.
    public typealias ConnectionState = EventStreamState

    /// The trust store whose issuers are followed and which the events update.
    public let store: RemoteTrustStore
    /// The configuration.
    public let configuration: Configuration
    let opener: any EventStreamOpening
    let onEvent: @Sendable (KeyEventNotice) -> Void
    let credentials: [String: StreamCredentials]
    /// The state of each issuer's push channel (read it through the ``IssuerStreamSubscriber`` accessors).
    public let board: EventStreamStatusBoard

    /// A subscriber for every issuer of `store`. `onEvent` is called after each event of a
    /// configured issuer was applied (for metrics and logs; keep it quick). It may be called
    /// concurrently: from each issuer's stream, and when a refresh it triggered finishes.
    /// `credentials` (by issuer URL, exactly as configured) authenticate those issuers' streams.
    public convenience init(store: RemoteTrustStore, configuration: Configuration = Configuration(),
                            credentials: [String: StreamCredentials] = [:],
                            onEvent: @escaping @Sendable (KeyEventNotice) -> Void = { _ in }) {
        self.init(store: store, configuration: configuration,
                  opener: AsyncHTTPClientEventStreamOpener(idleTimeout: configuration.idleTimeout, maximumBufferedChunks: 256),
                  credentials: credentials, onEvent: onEvent)
    }

    /// A subscriber whose streams go through `client`, which must not follow redirects (see
    /// ``OutgoingHTTP/makeOwnedClient()``).
    package convenience init(store: RemoteTrustStore, client: HTTPClient, configuration: Configuration = Configuration()) {
        self.init(store: store, configuration: configuration,
                  opener: AsyncHTTPClientEventStreamOpener(idleTimeout: configuration.idleTimeout, maximumBufferedChunks: 256,
                                                           client: client),
                  onEvent: { _ in })
    }

    init(store: RemoteTrustStore, configuration: Configuration, opener: any EventStreamOpening,
         credentials: [String: StreamCredentials] = [:], onEvent: @escaping @Sendable (KeyEventNotice) -> Void) {
        self.store = store
        self.configuration = configuration
        self.opener = opener
        self.onEvent = onEvent
        self.credentials = credentials
        self.board = EventStreamStatusBoard(issuers: store.configuration.issuers.map(\.url))
    }

    /// Follows every issuer until the task is cancelled or a graceful shutdown begins.
    public func run() async {
        await followEach(self.store.configuration.issuers) { issuer in await self.follow(issuer) }
    }

    /// One issuer's stream, until cancelled.
    private func follow(_ issuer: RemoteTrustStore.Issuer) async {
        await EventStreamFollower.follow(issuer.url, path: "/key-events", configuration: configuration, opener: opener,
                                         credentials: credentials[issuer.url], board: board, consumer: KeyEventConsumer(subscriber: self, issuer: issuer))
    }

    /// The delay before the next attempt (see ``EventStreamFollower/backoff(failures:base:maximum:)``).
    static func backoff(failures: Int, base: Duration, maximum: Duration) -> Duration {
        EventStreamFollower.backoff(failures: failures, base: base, maximum: maximum)
    }

    /// Whether `id` may go into a `Last-Event-ID` header: non-empty, printable ASCII, short.
    static func isSendableEventID(_ id: String) -> Bool { EventStreamFollower.isSendableEventID(id) }
}
