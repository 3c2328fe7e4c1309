import Foundation
import Keybound

extension KeyEventSubscriber {
    /// The event kinds after which the issuer's published key set is fetched again.
    static let refreshKinds: Set<String> = ["created", "activated", "verify-only", "retired"]

    /// One connection to `issuer`'s stream, read until it closes, fails or the task is cancelled.
    /// Returns whether it was a good one (answered 200 and delivered an event or stayed open for
    /// ``Configuration/stableConnection``), which resets the back-off.
    func connect(_ issuer: RemoteTrustStore.Issuer, position: inout StreamPosition) async -> Bool {
        guard let url = URL(string: issuer.url + "/key-events") else {
            update(issuer) { $0.lastError = "cannot form the key-events URL of '\(issuer.url)'" }
            return false
        }
        var headers = ["Accept": "text/event-stream", "Cache-Control": "no-store"]
        let resuming = Self.isSendableEventID(position.lastEventID)
        if resuming { headers["Last-Event-ID"] = position.lastEventID }
        let response: EventStreamResponse
        do {
            response = try await opener.open(url, headers: headers)
        } catch {
            update(issuer) { $0.lastError = "GET \(url.absoluteString): \(error)" }
            return false
        }
        defer { response.close() }
        guard response.status == 200 else {
            // A refused resume point: start at the present next time (the JWKS reload covers the gap).
            if response.status == 400, resuming { position.lastEventID = "" }
            update(issuer) { $0.lastError = "GET \(url.absoluteString) answered \(response.status)" }
            return false
        }
        guard (response.headers["content-type"] ?? "").lowercased().hasPrefix("text/event-stream") else {
            update(issuer) { $0.lastError = "GET \(url.absoluteString) is not an event stream" }
            return false
        }
        update(issuer) {
            $0.state = .connected
            $0.connections += 1
        }
        let opened = ContinuousClock.now
        // Only now that the stream is open is the key set (re)loaded: a key revoked before this
        // point is missing from it, one revoked after arrives as an event. Retried until it works.
        let reload = Task { await self.reloadUntilLoaded(issuer) }
        defer { reload.cancel() }
        let delivered = await read(response, issuer: issuer, position: &position)
        return delivered || ContinuousClock.now - opened >= configuration.stableConnection
    }

    /// Reads the stream, applying each event; returns whether any event was applied.
    private func read(_ response: EventStreamResponse, issuer: RemoteTrustStore.Issuer, position: inout StreamPosition) async -> Bool {
        var parser = ServerSentEventParser(maximumEventBytes: configuration.maximumEventBytes, lastEventID: position.lastEventID)
        var delivered = false
        await withDiscardingTaskGroup { group in
            let ending: String
            do {
                for try await chunk in response.body {
                    for event in try parser.feed(chunk) {
                        guard let notice = accept(event, issuer: issuer, position: &position) else { continue }
                        delivered = true
                        if notice.kind == "revoked" {
                            store.revoke(issuer: issuer.url, keyID: notice.keyID)
                            onEvent(notice)
                        } else if Self.refreshKinds.contains(notice.kind) {
                            group.addTask {
                                let succeeded = await self.store.refreshNow(issuer: issuer.url)
                                self.onEvent(notice.with(action: .refreshed(succeeded: succeeded)))
                            }
                        } else {
                            onEvent(notice.with(action: .ignored))
                        }
                    }
                    position.lastEventID = parser.lastEventID
                    if let milliseconds = parser.reconnectionTime { position.retry = .milliseconds(min(milliseconds, 3_600_000)) }
                    let lastEventID = position.lastEventID
                    update(issuer) { $0.lastEventID = lastEventID }
                }
                ending = "the provider closed the stream"
            } catch {
                ending = "the stream failed: \(error)"
            }
            if !Task.isCancelled { update(issuer) { $0.lastError = ending } }
        }
        return delivered
    }

    /// The notice for `event` (with action ``KeyEventNotice/Action/revoked``, adjusted by the
    /// caller), or `nil` if it is malformed, of another issuer, or already applied.
    private func accept(_ event: ServerSentEvent, issuer: RemoteTrustStore.Issuer, position: inout StreamPosition) -> KeyEventNotice? {
        guard let parsed = KeyEventNotice.parse(event) else {
            update(issuer) { $0.lastError = "a malformed key event was ignored" }
            return nil
        }
        guard parsed.issuer.isExactly(issuer.url) else { return nil }
        if let through = position.appliedThrough, parsed.sequence <= through { return nil }
        position.appliedThrough = parsed.sequence
        return KeyEventNotice(issuer: issuer.url, sequence: parsed.sequence, kind: parsed.kind, keyID: parsed.keyID,
                              at: parsed.at, action: .revoked)
    }

    /// Fetches the issuer's key set until that succeeds (or the task is cancelled).
    private func reloadUntilLoaded(_ issuer: RemoteTrustStore.Issuer) async {
        var failures = 0
        while !Task.isCancelled {
            if await store.refreshNow(issuer: issuer.url) { return }
            let delay = Self.backoff(failures: failures, base: configuration.initialBackoff, maximum: configuration.maximumBackoff)
            failures += 1
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    /// Whether `id` may go into a `Last-Event-ID` header: non-empty, printable ASCII, short.
    static func isSendableEventID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 256 && id.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }
}

extension KeyEventNotice {
    /// The same notice with another action.
    func with(action: Action) -> KeyEventNotice {
        KeyEventNotice(issuer: issuer, sequence: sequence, kind: kind, keyID: keyID, at: at, action: action)
    }
}
