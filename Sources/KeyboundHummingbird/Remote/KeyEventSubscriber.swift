import Foundation
import Keybound
import ServiceLifecycle
import Synchronization

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
/// Reconnects back off exponentially (``Configuration/initialBackoff`` doubling up to
/// ``Configuration/maximumBackoff``, reset after a good connection); a `retry:` field from the
/// provider replaces the initial delay.
///
/// Run it as a ServiceLifecycle `Service` next to the application, or call ``run()`` in a task;
/// it runs until that task is cancelled (or a graceful shutdown).
public final class KeyEventSubscriber: Service, Sendable {
    /// Reconnection and limits.
    public struct Configuration: Sendable {
        /// The first delay before reconnecting (unless the provider sent `retry:`).
        public var initialBackoff: Duration = .milliseconds(250)
        /// The delay doubles per failed attempt up to this.
        public var maximumBackoff: Duration = .seconds(10)
        /// A connection that stayed open this long, or delivered an event, resets the back-off.
        public var stableConnection: Duration = .seconds(5)
        /// A connection on which nothing arrives for this long is dropped and reopened (the provider
        /// sends a keep-alive comment every 15 s). Whole seconds.
        public var idleTimeout: TimeInterval = 45
        /// The largest event accepted; a larger one drops the connection.
        public var maximumEventBytes = 64 * 1024

        /// The defaults.
        public init() {}
    }

    struct IssuerStatus {
        var state: ConnectionState = .idle
        var lastEventID = ""
        var lastError: String?
        var connections = 0
    }

    /// The trust store whose issuers are followed and which the events update.
    public let store: RemoteTrustStore
    /// The configuration.
    public let configuration: Configuration
    let opener: any EventStreamOpening
    let onEvent: @Sendable (KeyEventNotice) -> Void
    private let status: Mutex<[String: IssuerStatus]>

    /// A subscriber for every issuer of `store`. `onEvent` is called after each event of a
    /// configured issuer was applied (for metrics and logs; keep it quick). It may be called
    /// concurrently: from each issuer's stream, and when a refresh it triggered finishes.
    public convenience init(store: RemoteTrustStore, configuration: Configuration = Configuration(),
                            onEvent: @escaping @Sendable (KeyEventNotice) -> Void = { _ in }) {
        self.init(store: store, configuration: configuration,
                  opener: URLSessionEventStreamOpener(idleTimeout: configuration.idleTimeout, maximumBufferedChunks: 256),
                  onEvent: onEvent)
    }

    init(store: RemoteTrustStore, configuration: Configuration, opener: any EventStreamOpening,
         onEvent: @escaping @Sendable (KeyEventNotice) -> Void) {
        self.store = store
        self.configuration = configuration
        self.opener = opener
        self.onEvent = onEvent
        self.status = Mutex(Dictionary(uniqueKeysWithValues: store.configuration.issuers.map { ($0.url, IssuerStatus()) }))
    }

    /// The state of `issuer`'s push channel (`nil` for an issuer that is not configured).
    public func state(of issuer: String) -> ConnectionState? { status.withLock { $0[issuer]?.state } }

    /// Whether every issuer's stream is open.
    public var isConnected: Bool { status.withLock { $0.values.allSatisfy { $0.state == .connected } } }

    /// The last event id received from `issuer` (sent as `Last-Event-ID` on the next reconnect).
    public func lastEventID(of issuer: String) -> String? { status.withLock { $0[issuer]?.lastEventID } }

    /// Why `issuer`'s stream last failed or closed, if it did.
    public func lastError(of issuer: String) -> String? { status.withLock { $0[issuer]?.lastError } }

    /// How many times `issuer`'s stream has answered 200 so far.
    public func connectionCount(of issuer: String) -> Int { status.withLock { $0[issuer]?.connections ?? 0 } }

    /// Follows every issuer until the task is cancelled or a graceful shutdown begins.
    public func run() async {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for issuer in self.store.configuration.issuers {
                    group.addTask { await self.follow(issuer) }
                }
            }
        }
    }

    /// One issuer: connect, read, back off, reconnect, until cancelled.
    private func follow(_ issuer: RemoteTrustStore.Issuer) async {
        var position = StreamPosition()
        var failures = 0
        while !Task.isCancelled {
            update(issuer) { $0.state = .connecting }
            let good = await connect(issuer, position: &position)
            if Task.isCancelled { break }
            if good { failures = 0 }
            let delay = Self.backoff(failures: failures, base: position.retry ?? configuration.initialBackoff,
                                     maximum: configuration.maximumBackoff)
            failures += 1
            update(issuer) { $0.state = .waiting(retryAfter: delay) }
            do { try await Task.sleep(for: delay) } catch { break }
        }
        update(issuer) { $0.state = .stopped }
    }

    /// The delay before the next attempt: `base` (at least 100 ms, at most `maximum`) doubled per
    /// failure since the last good connection, capped at `maximum`, less up to a quarter (jitter,
    /// so that validators do not all reconnect at the same instant).
    static func backoff(failures: Int, base: Duration, maximum: Duration) -> Duration {
        var delay = min(max(base, .milliseconds(100)), maximum)
        for _ in 0..<min(failures, 40) where delay < maximum { delay = min(delay * 2, maximum) }
        return delay * Double.random(in: 0.75...1.0)
    }

    func update(_ issuer: RemoteTrustStore.Issuer, _ change: (inout IssuerStatus) -> Void) {
        status.withLock { all in
            if var entry = all[issuer.url] {
                change(&entry)
                all[issuer.url] = entry
            }
        }
    }
}

/// Where an issuer's stream stands, carried from one connection to the next.
struct StreamPosition {
    /// The SSE last event id (`""`: none yet; the stream then starts at the present).
    var lastEventID = ""
    /// The highest sequence number applied: an event at or below it is not applied again.
    var appliedThrough: Int64?
    /// The reconnection delay the provider asked for with `retry:`.
    var retry: Duration?
}
