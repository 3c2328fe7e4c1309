import Foundation
import Testing

/// `keybound serve` stops on SIGTERM by graceful shutdown. Event streams are long-lived by design
/// (validators hold them open for days); one that ignored the shutdown would hold the process up
/// until an orchestrator killed it, losing the graceful part (in-flight grants, the ledger flush).
@Suite("Provider: a graceful shutdown is never held up by an open event stream")
struct StreamShutdownTests {
    @Test("graceful shutdown ends open key-events and token-events streams at once")
    func gracefulShutdownEndsStreams() async throws {
        let provider = try await LiveProvider.start()
        defer { provider.fixture.remove() }
        let keyEvents = try await LiveEventStream.open(provider.base + "/contoso/key-events")
        defer { keyEvents.close() }
        #expect(keyEvents.status == 200)
        let tokenEvents = try await LiveEventStream.open(provider.base + "/contoso/token-events",
                                                         headers: ["Authorization": ProviderFixture.basic("daemon", ProviderFixture.secret)])
        defer { tokenEvents.close() }
        #expect(tokenEvents.status == 200)

        let started = ContinuousClock.now
        // The keep-alive interval is 15 s: a stream that ignored the shutdown would keep the
        // server running well past this limit.
        let ended = await provider.shutDownGracefully(within: .seconds(10))
        #expect(ended, "the server was still running 10 s after its graceful shutdown began")
        #expect(ContinuousClock.now - started < .seconds(5), "shutdown took \(ContinuousClock.now - started)")
    }
}
