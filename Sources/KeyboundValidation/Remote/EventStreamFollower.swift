import Foundation
import Keybound

/// What a subscriber does with one issuer's stream (``KeyEventSubscriber``, ``TokenEventSubscriber``).
protocol EventStreamConsumer: Sendable {
    /// Applies one event; returns whether it was applied (which makes the connection a good one).
    /// Work that may take long (a JWKS refresh) goes into `group`, so it ends with the connection.
    func apply(_ event: ServerSentEvent, position: inout StreamPosition, group: inout DiscardingTaskGroup) -> Bool
    /// Called once the stream answered 200, before it is read; the task it returns (if any) is
    /// cancelled when the connection ends.
    func streamOpened() -> Task<Void, Never>?
    /// Called for every chunk read off the stream, keep-alive comments included (keep it quick).
    func received()
    /// Called for each comment line of the stream (`: text`), after the chunk's events.
    func comment(_ text: String)
}

extension EventStreamConsumer {
    func received() {}
    func comment(_ text: String) {}
}

/// Follows one issuer's Server-Sent Events stream: connect (authenticated if credentials are
/// given), read and hand each event to the consumer, and after a failure or close reconnect with
/// `Last-Event-ID` after an exponential back-off (``EventStreamConfiguration/initialBackoff``
/// doubling up to ``EventStreamConfiguration/maximumBackoff``, reset after a good connection; a
/// `retry:` field from the provider replaces the initial delay). Runs until its task is cancelled.
struct EventStreamFollower: Sendable {
    /// The issuer URL, exactly as configured (the assertion's `aud`, the status board's key).
    let issuer: String
    /// The stream's URL.
    let url: URL
    let configuration: EventStreamConfiguration
    let opener: any EventStreamOpening
    let credentials: StreamCredentials?
    let board: EventStreamStatusBoard

    /// Follows `issuer`'s stream at `issuer` + `path` (`/key-events`, `/token-events`) until
    /// cancelled. An issuer URL that cannot form the stream's URL stops at once, with the reason on
    /// the board.
    static func follow(_ issuer: String, path: String, configuration: EventStreamConfiguration, opener: any EventStreamOpening,
                       credentials: StreamCredentials?, board: EventStreamStatusBoard, consumer: some EventStreamConsumer) async {
        guard let url = URL(string: issuer + path) else {
            board.update(issuer) {
                $0.lastError = "cannot form the \(path.dropFirst()) URL of '\(issuer)'"
                $0.state = .stopped
            }
            return
        }
        let follower = EventStreamFollower(issuer: issuer, url: url, configuration: configuration, opener: opener,
                                           credentials: credentials, board: board)
        await follower.run(consumer)
    }

    /// Connects, reads, backs off and reconnects until cancelled.
    func run(_ consumer: some EventStreamConsumer) async {
        var position = StreamPosition()
        var failures = 0
        while !Task.isCancelled {
            board.update(issuer) { $0.state = .connecting }
            let good = await connect(consumer, position: &position)
            if Task.isCancelled { break }
            if good { failures = 0 }
            let delay = Self.backoff(failures: failures, base: position.retry ?? configuration.initialBackoff,
                                     maximum: configuration.maximumBackoff)
            failures += 1
            board.update(issuer) { $0.state = .waiting(retryAfter: delay) }
            do { try await Task.sleep(for: delay) } catch { break }
        }
        board.update(issuer) { $0.state = .stopped }
    }

    /// The delay before the next attempt: `base` (at least 100 ms, at most `maximum`) doubled per
    /// failure since the last good connection, capped at `maximum`, less up to a quarter (jitter,
    /// so that validators do not all reconnect at the same instant).
    static func backoff(failures: Int, base: Duration, maximum: Duration) -> Duration {
        var delay = min(max(base, .milliseconds(100)), maximum)
        for _ in 0..<min(failures, 40) where delay < maximum { delay = min(delay * 2, maximum) }
        return delay * Double.random(in: 0.75...1.0)
    }

    /// One connection, read until it closes, fails or the task is cancelled. Returns whether it was
    /// a good one (answered 200 and delivered an event or stayed open for
    /// ``EventStreamConfiguration/stableConnection``).
    func connect(_ consumer: some EventStreamConsumer, position: inout StreamPosition) async -> Bool {
        var headers = ["Accept": "text/event-stream", "Cache-Control": "no-store"]
        let resuming = Self.isSendableEventID(position.lastEventID)
        if resuming { headers["Last-Event-ID"] = position.lastEventID }
        var body: [UInt8]?
        if let credentials {
            do {
                let authentication = try credentials.authentication(issuer: issuer)
                headers.merge(authentication.headers) { _, new in new }
                body = authentication.body
            } catch {
                board.update(issuer) { $0.lastError = "cannot sign the client assertion: \(error)" }
                return false
            }
        }
        let method = body == nil ? "GET" : "POST"
        let response: EventStreamResponse
        do {
            response = try await opener.open(url, headers: headers, body: body)
        } catch {
            board.update(issuer) { $0.lastError = "\(method) \(url.absoluteString): \(error)" }
            return false
        }
        defer { response.close() }
        guard response.status == 200 else {
            // A refused resume point: start where the provider decides next time.
            if response.status == 400, resuming { position.lastEventID = "" }
            let redirect = (300..<400).contains(response.status) ? ", a redirect; redirects are never followed" : ""
            board.update(issuer) { $0.lastError = "\(method) \(url.absoluteString) answered \(response.status)\(redirect)" }
            return false
        }
        guard (response.headers["content-type"] ?? "").lowercased().hasPrefix("text/event-stream") else {
            board.update(issuer) { $0.lastError = "\(method) \(url.absoluteString) is not an event stream" }
            return false
        }
        board.update(issuer) {
            $0.state = .connected
            $0.connections += 1
        }
        let opened = ContinuousClock.now
        let companion = consumer.streamOpened()
        defer { companion?.cancel() }
        let delivered = await read(response, consumer: consumer, position: &position)
        return delivered || ContinuousClock.now - opened >= configuration.stableConnection
    }

    /// Reads the stream, handing each event to `consumer`; returns whether any was applied.
    private func read(_ response: EventStreamResponse, consumer: some EventStreamConsumer, position: inout StreamPosition) async -> Bool {
        var parser = ServerSentEventParser(maximumEventBytes: configuration.maximumEventBytes, lastEventID: position.lastEventID)
        var delivered = false
        await withDiscardingTaskGroup { group in
            let ending: String
            do {
                for try await chunk in response.body {
                    consumer.received()
                    for event in try parser.feed(chunk) {
                        if consumer.apply(event, position: &position, group: &group) { delivered = true }
                    }
                    for comment in parser.comments { consumer.comment(comment) }
                    position.lastEventID = parser.lastEventID
                    if let milliseconds = parser.reconnectionTime { position.retry = .milliseconds(min(milliseconds, 3_600_000)) }
                    let lastEventID = position.lastEventID
                    board.update(issuer) { $0.lastEventID = lastEventID }
                }
                ending = "the provider closed the stream"
            } catch {
                ending = "the stream failed: \(error)"
            }
            if !Task.isCancelled { board.update(issuer) { $0.lastError = ending } }
        }
        return delivered
    }

    /// Whether `id` may go into a `Last-Event-ID` header: non-empty, printable ASCII, short.
    static func isSendableEventID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 256 && id.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }
}
