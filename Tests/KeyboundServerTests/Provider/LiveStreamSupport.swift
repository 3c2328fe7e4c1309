import Foundation
import Hummingbird
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
@testable import KeyboundServer
import Logging
import Synchronization
import Testing
import KeyboundTesting
import KeyboundHummingbirdTesting

/// A provider serving on a free loopback port (issuer URLs name the port), for stream tests,
/// stopped by graceful shutdown as `keybound serve` is on SIGTERM (``GracefulServer``).
struct LiveProvider {
    let fixture: ProviderFixture
    let base: String
    let server: GracefulServer

    static func start(streamLimits: StreamLimits = StreamLimits()) async throws -> LiveProvider {
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let fixture = try await ProviderFixture(publicURL: base, streamLimits: streamLimits)
        var quiet = Logger(label: "live-streams")
        quiet.logLevel = .critical
        let app = Application(router: KeyboundApplication.router(context: fixture.context),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let provider = LiveProvider(fixture: fixture, base: base, server: GracefulServer(app))
        let fetcher = AsyncHTTPClientFetcher(timeout: 1)
        for _ in 0..<250 {
            if let health = URL(string: base + "/health"), (try? await fetcher.get(health, maximumBytes: 100))?.status == 200 { return provider }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HTTPFetchError("the live provider did not start")
    }

    /// Begins a graceful shutdown and waits up to `limit` for the server to end; returns whether
    /// it did (if not, the serving task is cancelled so nothing is left running).
    func shutDownGracefully(within limit: Duration) async -> Bool { await server.stop(within: limit) }

    func stop() async {
        _ = await shutDownGracefully(within: .seconds(10))
        fixture.remove()
    }
}

/// One live Server-Sent Events connection, read in the background into ``events``.
final class LiveEventStream: Sendable {
    let status: Int
    let headers: [String: String]
    private let received = Mutex<[ServerSentEvent]>([])
    private let bodyText = Mutex("")
    private let reader: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let response: EventStreamResponse

    /// Opens `url`; a non-200 answer's body is read whole into ``text``.
    static func open(_ url: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> LiveEventStream {
        let opener = AsyncHTTPClientEventStreamOpener(idleTimeout: 30, maximumBufferedChunks: 1_024)
        var all = ["Accept": "text/event-stream"]
        all.merge(headers) { _, new in new }
        let response = try await opener.open(try #require(URL(string: url)), headers: all, body: body)
        let stream = LiveEventStream(response: response)
        let task = Task {
            var parser = ServerSentEventParser()
            do {
                for try await chunk in response.body {
                    stream.bodyText.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
                    let events = (try? parser.feed(chunk)) ?? []
                    stream.received.withLock { $0 += events }
                }
            } catch {}
        }
        stream.reader.withLock { $0 = task }
        return stream
    }

    private init(response: EventStreamResponse) {
        self.response = response
        self.status = response.status
        self.headers = response.headers
    }

    /// The events received so far.
    var events: [ServerSentEvent] { received.withLock { $0 } }
    /// Everything received so far, as text.
    var text: String { bodyText.withLock { $0 } }

    /// The JSON data of the events received so far.
    var data: [JSONObject] { events.compactMap { try? StrictJSONParser.parseObject(Array($0.data.utf8)) } }

    func close() {
        reader.withLock { $0 }?.cancel()
        response.close()
    }
}
