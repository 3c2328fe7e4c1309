import Dispatch
import Foundation
import KeyboundPostgres
import Testing

/// `abandoning(after:)`: the caller gets the work's result, or the expiry error at the deadline
/// even when the work ignores cancellation (the group commit's guard against a stuck transaction).
@Suite("PostgreSQL core: abandoning work at its deadline")
struct AbandonAfterTests {
    struct Expired: Error {}

    /// Work that ends only when its 120 s are up, whatever cancellation says.
    static func stubbornWork() async -> Int {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().asyncAfter(deadline: .now() + 120) { continuation.resume(returning: 7) }
        }
    }

    @Test("work that ignores cancellation is abandoned at the deadline; the caller does not wait for it")
    func abandonsStubbornWork() async throws {
        let started = ContinuousClock.now
        await #expect(throws: Expired.self) {
            _ = try await abandoning(after: .milliseconds(200), expired: { Expired() }) { await Self.stubbornWork() }
        }
        // A generous bound (a full suite on two busy cores kept this task waiting 21 s once), half the work's 120 s, which
        // a structured deadline would have waited out.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("the caller's cancellation reaches the work, whose own ending answers the caller")
    func forwardsCancellation() async throws {
        let caller = Task {
            try await abandoning(after: .seconds(60), expired: { Expired() }) { () async throws -> Int in
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        caller.cancel()
        await #expect(throws: CancellationError.self) { _ = try await caller.value }
    }

    @Test("work that ends in time gives its value or its error")
    func passesResults() async throws {
        #expect(try await abandoning(after: .seconds(5), expired: { Expired() }) { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await abandoning(after: .seconds(5), expired: { Expired() }) { () async throws -> Int in throw Refused() }
        }
    }
}
