import Foundation
import KeyboundHunt
import KeyboundIncident
import KeyboundServer
import KeyboundStore
import Logging
import Synchronization

/// The incident responses this node is running, started from the console or the admin API: at
/// most one run per incident, and why the last run of an incident stopped, if it failed. A
/// response is resumable (its state is in the incident store after every step), so a run cut
/// short by a restart is finished by starting it again.
final class IncidentRuns: Sendable {
    enum State: Sendable, Equatable {
        case running
        case failed(String)
    }

    private let states = Mutex<[String: State]>([:])

    /// The state of incident `id`'s run on this node; `nil` when none runs and none failed.
    func state(_ id: String) -> State? { states.withLock { $0[id] } }

    /// Runs the steps of `record` not done yet, in the background, unless a run of it is going on.
    /// `afterStep` tells the provider what changed (its key cache, its event streams).
    func start(_ record: IncidentRecord, _ request: IncidentResponder.Request, responder: IncidentResponder, logger: Logger) {
        let began = states.withLock { states -> Bool in
            if states[record.id] == .running { return false }
            states[record.id] = .running
            return true
        }
        guard began else { return }
        Task {
            do {
                let done = try await responder.complete(record, request)
                states.withLock { $0[record.id] = nil }
                logger.notice("incident response finished", metadata: ["incident": "\(done.id)", "closed": "\(done.isClosed)"])
            } catch {
                let why = (error as? IncidentError)?.description ?? (error as? StoreError)?.description ?? (error as? HuntError)?.description ?? "the response stopped: \(type(of: error))"
                states.withLock { $0[record.id] = .failed(why) }
                logger.error("incident response stopped", metadata: ["incident": "\(record.id)", "error": "\(why)"])
            }
        }
    }
}
