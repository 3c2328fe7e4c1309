import Synchronization

/// The state of each issuer's stream of one subscriber, as its public accessors report it.
/// (Opaque outside the module: read it through ``IssuerStreamSubscriber``'s accessors.)
public final class EventStreamStatusBoard: Sendable {
    struct Status {
        var state: EventStreamState = .idle
        var lastEventID = ""
        var lastError: String?
        var connections = 0
    }

    private let statuses: Mutex<[String: Status]>

    /// A board for `issuers` (URLs, as configured).
    init(issuers: [String]) {
        statuses = Mutex(Dictionary(issuers.map { ($0, Status()) }, uniquingKeysWith: { first, _ in first }))
    }

    /// `issuer`'s status, `nil` for an issuer that is not configured.
    func status(of issuer: String) -> Status? { statuses.withLock { $0[issuer] } }

    /// Whether every issuer's stream is open.
    var allConnected: Bool { statuses.withLock { $0.values.allSatisfy { $0.state == .connected } } }

    /// Changes `issuer`'s status (nothing for an issuer that is not configured).
    func update(_ issuer: String, _ change: (inout Status) -> Void) {
        statuses.withLock { all in
            if var entry = all[issuer] {
                change(&entry)
                all[issuer] = entry
            }
        }
    }
}
