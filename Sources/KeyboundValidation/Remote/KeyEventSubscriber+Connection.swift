import Foundation
import Keybound

/// What ``KeyEventSubscriber`` does with one issuer's key-event stream.
struct KeyEventConsumer: EventStreamConsumer {
    /// The event kinds after which the issuer's published key set is fetched again.
    static let refreshKinds: Set<String> = ["created", "activated", "verify-only", "retired"]

    let subscriber: KeyEventSubscriber
    let issuer: RemoteTrustStore.Issuer

    /// Only now that the stream is open is the key set (re)loaded: a key revoked before this point
    /// is missing from it, one revoked after arrives as an event. Retried until it works.
    func streamOpened() -> Task<Void, Never>? {
        Task { await reloadUntilLoaded() }
    }

    func apply(_ event: ServerSentEvent, position: inout StreamPosition, group: inout DiscardingTaskGroup) -> Bool {
        guard let notice = accept(event, position: &position) else { return false }
        let store = subscriber.store, onEvent = subscriber.onEvent, issuer = self.issuer
        if notice.kind == "revoked" {
            store.revoke(issuer: issuer.url, keyID: notice.keyID)
            onEvent(notice)
        } else if Self.refreshKinds.contains(notice.kind) {
            group.addTask {
                let succeeded = await store.refreshNow(issuer: issuer.url)
                onEvent(notice.with(action: .refreshed(succeeded: succeeded)))
            }
        } else {
            onEvent(notice.with(action: .ignored))
        }
        return true
    }

    /// The notice for `event` (with action ``KeyEventNotice/Action/revoked``, adjusted by the
    /// caller), or `nil` if it is malformed, of another issuer, or already applied.
    private func accept(_ event: ServerSentEvent, position: inout StreamPosition) -> KeyEventNotice? {
        guard let parsed = KeyEventNotice.parse(event) else {
            subscriber.board.update(issuer.url) { $0.lastError = "a malformed key event was ignored" }
            return nil
        }
        guard parsed.issuer.isExactly(issuer.url) else { return nil }
        if let through = position.appliedThrough, parsed.sequence <= through { return nil }
        position.appliedThrough = parsed.sequence
        return KeyEventNotice(issuer: issuer.url, sequence: parsed.sequence, kind: parsed.kind, keyID: parsed.keyID,
                              at: parsed.at, action: .revoked)
    }

    /// Fetches the issuer's key set until that succeeds (or the task is cancelled).
    private func reloadUntilLoaded() async {
        var failures = 0
        let configuration = subscriber.configuration
        while !Task.isCancelled {
            if await subscriber.store.refreshNow(issuer: issuer.url) { return }
            let delay = EventStreamFollower.backoff(failures: failures, base: configuration.initialBackoff,
                                                    maximum: configuration.maximumBackoff)
            failures += 1
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }
}

extension KeyEventNotice {
    /// The same notice with another action.
    func with(action: Action) -> KeyEventNotice {
        KeyEventNotice(issuer: issuer, sequence: sequence, kind: kind, keyID: keyID, at: at, action: action)
    }
}
