import Synchronization

/// What a transport test server saw and did.
package final class TransportLog: Sendable {
    private struct State {
        var requests: [String] = []
        var written = 0
        var finished = false
        var writeFailed = false
        var released = false
    }
    private let state = Mutex(State())

    /// An empty log.
    package init() {}

    package func request(_ path: String) { state.withLock { $0.requests.append(path) } }
    package var requests: [String] { state.withLock { $0.requests } }
    package func wrote(_ count: Int) { state.withLock { $0.written += count } }
    package var written: Int { state.withLock { $0.written } }
    package func finish() { state.withLock { $0.finished = true } }
    package var finished: Bool { state.withLock { $0.finished } }
    package func writeFailed() { state.withLock { $0.writeFailed = true } }
    package var failedToWrite: Bool { state.withLock { $0.writeFailed } }
    package func release() { state.withLock { $0.released = true } }
    package var released: Bool { state.withLock { $0.released } }

    /// Waits (in 10 ms steps, at most `seconds`) until ``release()`` or cancellation.
    package func waitForRelease(atMost seconds: Double) async {
        for _ in 0..<Int(seconds * 100) where !released && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
