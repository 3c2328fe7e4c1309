import ServiceLifecycle

/// A subscriber that follows one event stream per issuer (``KeyEventSubscriber``,
/// ``TokenEventSubscriber``), and the status accessors they share.
public protocol IssuerStreamSubscriber: Service {
    /// The state of each issuer's stream.
    var board: EventStreamStatusBoard { get }
}

extension IssuerStreamSubscriber {
    /// The state of `issuer`'s stream (`nil` for an issuer that is not configured).
    public func state(of issuer: String) -> EventStreamState? { board.status(of: issuer)?.state }

    /// Whether every issuer's stream is open.
    public var isConnected: Bool { board.allConnected }

    /// The last event id received from `issuer` (sent as `Last-Event-ID` on the next reconnect).
    public func lastEventID(of issuer: String) -> String? { board.status(of: issuer)?.lastEventID }

    /// Why `issuer`'s stream last failed or closed, if it did.
    public func lastError(of issuer: String) -> String? { board.status(of: issuer)?.lastError }

    /// How many times `issuer`'s stream has answered 200 so far.
    public func connectionCount(of issuer: String) -> Int { board.status(of: issuer)?.connections ?? 0 }
}

/// Runs `follow` for every one of `issuers` at once, until the task is cancelled or a graceful
/// shutdown begins: a subscriber's `run()`.
func followEach<Issuer: Sendable>(_ issuers: [Issuer], _ follow: @escaping @Sendable (Issuer) async -> Void) async {
    await cancelWhenGracefulShutdown {
        await withDiscardingTaskGroup { group in
            for issuer in issuers {
                group.addTask { await follow(issuer) }
            }
        }
    }
}
