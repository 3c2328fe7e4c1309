/// Polls `condition` every 20 ms, at most `seconds` × 50 times; returns whether it held. The
/// polls are counted rather than the wall time, so that when the test process's threads are busy
/// with other tests (all suites run in parallel), the code under test, which waits in the same
/// queue as this loop, is not declared late before it could run.
package func eventually(within seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<Int(seconds * 50) {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
