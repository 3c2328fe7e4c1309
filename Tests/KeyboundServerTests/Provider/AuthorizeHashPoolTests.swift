import Dispatch
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Synchronization
import Testing
import KeyboundTesting

/// Password hashing at sign-in runs on a bounded pool of dedicated threads: never more at once than
/// the pool's threads (at most one less than the cores), never more waiting than its queue, and a
/// sign-in beyond that gets 503 with `Retry-After` at once instead of queuing.
@Suite("Provider: password hashing pool")
struct AuthorizeHashPoolTests {
    /// Waits (polling) until `condition` holds, for at most `seconds`.
    static func eventually(_ seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    @Test("never more threads than one less than the cores (at least one), whatever is asked")
    func threadCap() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(PasswordHashPool.maximumThreads == max(1, cores - 1))
        #expect(PasswordHashPool(threads: 1_000, queueCapacity: 4).threadCount == max(1, cores - 1))
        #expect(PasswordHashPool(threads: 0, queueCapacity: 4).threadCount == 1)
        #expect(ServerConfiguration().passwordHashThreads == max(1, cores - 1))
    }

    @Test("jobs run on the pool's own threads, never more at once than its threads; beyond threads + queue a job is refused at once")
    func boundAndThreads() async throws {
        let pool = PasswordHashPool(threads: 3, queueCapacity: 2)
        let threads = pool.threadCount
        // Hold every thread and fill the queue.
        let gate = DispatchSemaphore(value: 0)
        let seen = Observations()
        for _ in 0..<(threads + 2) {
            let accepted = pool.submit {
                let now = seen.running.add(1, ordering: .sequentiallyConsistent).newValue
                _ = seen.maximum.max(now, ordering: .sequentiallyConsistent)
                seen.names.withLock { _ = $0.insert(PasswordHashPool.isPoolThread ? Thread.current.name ?? "unnamed" : "not a pool thread") }
                gate.wait()
                seen.running.subtract(1, ordering: .sequentiallyConsistent)
            }
            #expect(accepted)
        }
        #expect(try await Self.eventually { seen.running.load(ordering: .sequentiallyConsistent) == threads })
        #expect(pool.pending == threads + 2)
        // Full: refused without waiting, with a Retry-After.
        #expect(!pool.submit {})
        do {
            _ = try await pool.run { 1 }
            Issue.record("a full pool ran a job")
        } catch {
            #expect((1...60).contains(error.retryAfter))
        }
        for _ in 0..<(threads + 2) { gate.signal() }
        #expect(try await Self.eventually { pool.pending == 0 })
        #expect(seen.maximum.load(ordering: .sequentiallyConsistent) == threads)
        #expect(seen.names.withLock { $0 }.allSatisfy { $0.hasPrefix("kb-bcrypt-") }, "\(seen.names.withLock { $0 })")
        // With room again, run hands the result back.
        let name = try await pool.run { PasswordHashPool.isPoolThread ? Thread.current.name ?? "unnamed" : "not a pool thread" }
        #expect(name.hasPrefix("kb-bcrypt-"))
        #expect(!PasswordHashPool.isPoolThread)
        #if os(Linux)
        // The pool's threads run at a lower priority than the caller's.
        let nice = try await pool.run { Self.niceOfCallingThread() }
        let callers = try #require(Self.niceOfCallingThread())
        #expect(nice == min(19, callers + Int(PasswordHashPool.niceValue)), "nice \(String(describing: nice)), the caller's \(callers)")
        #endif
    }

    /// What the jobs saw (a class: the atomics cannot be captured themselves).
    final class Observations: Sendable {
        let running = Atomic<Int>(0)
        let maximum = Atomic<Int>(0)
        let names = Mutex<Set<String>>([])
    }

    /// The calling thread's nice value, from /proc/thread-self/stat (field 19).
    static func niceOfCallingThread() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state (3), ppid (4), … nice (19).
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    /// The value of `keybound_signin_attempts_total{issuer, outcome}` in the registry (0 when absent).
    static func attempts(issuer: String, outcome: String) -> Int {
        let prefix = "keybound_signin_attempts_total{"
        for line in KeyboundMetrics.render().split(separator: "\n") where line.hasPrefix(prefix) {
            guard line.contains("issuer=\"\(issuer)\""), line.contains("outcome=\"\(outcome)\"") else { continue }
            return line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) } ?? 0
        }
        return 0
    }

    @Test("a sign-in while the one thread is busy and the one queue slot taken: 503 temporarily_unavailable with Retry-After; it counts as no failure, and works once there is room")
    func saturatedSignIn() async throws {
        let fixture = try await ProviderFixture(configure: { configuration in
            configuration.passwordHashThreads = 1
            configuration.passwordHashQueue = 1
        })
        defer { fixture.remove() }
        let pool = fixture.context.passwordHashes
        #expect(pool.threadCount == 1 && pool.queueCapacity == 1)
        let gate = DispatchSemaphore(value: 0)
        #expect(pool.submit { gate.wait() })
        #expect(pool.submit { gate.wait() })
        let shedBefore = Self.attempts(issuer: "contoso", outcome: "shed")
        try await fixture.app.test(.router) { client in
            for _ in 0..<(AuthorizeThrottleTests.accountAllowance + 1) {
                let response = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery(), password: "wrong")
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.location] == nil)
                #expect(response.headers[.retryAfter].flatMap { Int($0) }.map { (1...60).contains($0) } == true)
                let body = try ProviderFixture.json(response)
                #expect(body["error"] == .string("temporarily_unavailable"))
            }
            #expect(Self.attempts(issuer: "contoso", outcome: "shed") >= shedBefore + AuthorizeThrottleTests.accountAllowance + 1)
            gate.signal()
            gate.signal()
            #expect(try await Self.eventually { pool.pending == 0 })
            // The shed posts checked no password, so they are no failures: the account is not throttled.
            let response = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery())
            #expect(response.status == .seeOther)
        }
    }

    @Test("the throttle is checked before the pool: with every hashing thread held, a throttled account still gets 429, not 503")
    func throttleBeforeHashing() async throws {
        let clock = TestClock()
        let fixture = try await ProviderFixture(clock: clock.function, configure: { configuration in
            configuration.passwordHashThreads = 1
            configuration.passwordHashQueue = 0
        })
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            for attempt in 1...AuthorizeThrottleTests.accountAllowance {
                let response = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery(), password: "wrong \(attempt)")
                #expect(response.status == .unauthorized)
            }
            let gate = DispatchSemaphore(value: 0)
            #expect(fixture.context.passwordHashes.submit { gate.wait() })
            #expect(try await Self.eventually { fixture.context.passwordHashes.pending == 1 })
            let throttled = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery(), password: "wrong")
            _ = try AuthorizeThrottleTests.expectThrottled(throttled)
            // An account with no failures is let through the throttle and meets the full pool.
            let shed = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery(), username: "nobody",
                                                        password: "wrong")
            #expect(shed.status == .serviceUnavailable)
            gate.signal()
        }
    }
}
