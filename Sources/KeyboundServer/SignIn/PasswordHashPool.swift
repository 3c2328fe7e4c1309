import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Dedicated threads for password hashing (bcrypt), with a bounded queue.
///
/// bcrypt is slow on purpose and holds a core for its whole run (a quarter of a second at cost 12).
/// Run on the event loops or the Swift concurrency pool, a handful of concurrent sign-ins stall
/// every endpoint. Here at most `threadCount` hashes run at once, each on a thread of the pool's own
/// that runs at a low scheduling priority (nice 10: request handling comes first, yet a sign-in
/// still gets about a tenth of a core when every core is busy with requests), and at
/// most `queueCapacity` more wait; anything beyond is refused at once with ``Saturated``, which
/// the caller answers with 503 and `Retry-After`.
///
/// The threads start with the first job and end when the pool is released.
final class PasswordHashPool: Sendable {
    /// The pool is full: every thread busy and the queue full.
    struct Saturated: Error, Sendable {
        /// Roughly how long until there is room, in whole seconds (1–60).
        let retryAfter: Int
    }

    /// How many hashes run at once.
    var threadCount: Int { core.threadCount }
    /// How many hashes may wait beyond those running.
    var queueCapacity: Int { core.queueCapacity }

    private let core: Core

    /// At most `threads` threads (and never more than ``maximumThreads``) and `queueCapacity`
    /// waiting jobs.
    init(threads: Int, queueCapacity: Int) {
        core = Core(threadCount: max(1, min(threads, Self.maximumThreads)), queueCapacity: max(0, queueCapacity))
    }

    deinit {
        core.stop()
    }

    /// The most threads a pool has: one less than the cores, and at least one, so hashing can never
    /// take every core.
    static var maximumThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }

    /// Runs `work` on one of the pool's threads and returns its result, or throws ``Saturated`` at
    /// once, without waiting, when `threadCount` jobs run and `queueCapacity` wait.
    func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async throws(Saturated) -> Value {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome<Value>, Never>) in
            let retryAfter = core.submit {
                let value = work()
                return { continuation.resume(returning: .done(value)) }
            }
            if let retryAfter { continuation.resume(returning: .saturated(retryAfter)) }
        }
        switch outcome {
        case .done(let value): return value
        case .saturated(let retryAfter): throw Saturated(retryAfter: retryAfter)
        }
    }

    /// Runs `job` on a pool thread without waiting for it; `false` when the pool is full.
    /// For tests that need to hold the pool busy.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        core.submit {
            job()
            return {}
        } == nil
    }

    /// The pool threads' nice value on Linux (see `Core.lowerPriority`).
    static let niceValue: Int32 = 10

    /// The key of the pool threads' marker in their `threadDictionary`.
    fileprivate static let threadMarker = "keybound.password-hash-pool"

    /// Whether the calling thread is one of a pool's threads.
    static var isPoolThread: Bool { Thread.current.threadDictionary[threadMarker] != nil }

    /// Jobs running and waiting now.
    var pending: Int { core.pending }

    private enum Outcome<Value: Sendable>: Sendable {
        case done(Value)
        case saturated(Int)
    }
}

extension PasswordHashPool {
    /// The queue and the threads. Separate from the pool, so that the threads (which hold the core)
    /// do not keep the pool alive: releasing the pool stops them.
    fileprivate final class Core: @unchecked Sendable {
        let threadCount: Int
        let queueCapacity: Int
        /// A job computes on a pool thread and returns how to hand its result over, which runs once
        /// the thread counts as free again (so a caller that is answered and comes straight back
        /// finds the room its job left).
        typealias Job = @Sendable () -> @Sendable () -> Void

        // Everything below is guarded by `condition`.
        private let condition = NSCondition()
        private var jobs: [Job] = []
        private var busy = 0
        private var started = false
        private var stopping = false
        /// A moving average of one job's duration, for `Retry-After`.
        private var averageSeconds = 0.25

        init(threadCount: Int, queueCapacity: Int) {
            self.threadCount = threadCount
            self.queueCapacity = queueCapacity
        }

        var pending: Int {
            condition.lock()
            defer { condition.unlock() }
            return jobs.count + busy
        }

        /// Queues `job`; `nil` when accepted, otherwise the seconds after which to try again.
        func submit(_ job: @escaping Job) -> Int? {
            condition.lock()
            defer { condition.unlock() }
            let pending = jobs.count + busy
            guard !stopping, pending < threadCount + queueCapacity else {
                let wait = averageSeconds * Double(max(1, pending)) / Double(threadCount)
                return min(60, max(1, Int(wait.rounded(.up))))
            }
            if !started {
                started = true
                for index in 0..<threadCount { startThread(index) }
            }
            jobs.append(job)
            condition.signal()
            return nil
        }

        func stop() {
            condition.lock()
            stopping = true
            condition.broadcast()
            condition.unlock()
        }

        private func startThread(_ index: Int) {
            let thread = Thread { [self] in
                Thread.current.threadDictionary[PasswordHashPool.threadMarker] = index
                Self.setName("kb-bcrypt-\(index)")
                Self.lowerPriority()
                work()
            }
            thread.start()
        }

        /// Takes jobs until stopped, and then until the queue is empty (no caller is left waiting).
        private func work() {
            while true {
                condition.lock()
                while jobs.isEmpty && !stopping { condition.wait() }
                if jobs.isEmpty {
                    condition.unlock()
                    return
                }
                let job = jobs.removeFirst()
                busy += 1
                condition.unlock()
                let start = DispatchTime.now().uptimeNanoseconds
                let deliver = job()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                condition.lock()
                busy -= 1
                averageSeconds = averageSeconds * 0.8 + seconds * 0.2
                condition.unlock()
                deliver()
            }
        }

        /// Names the calling thread as `top -H` and debuggers show it (at most 15 bytes on Linux).
        /// Linux: written to /proc, because Foundation's `Thread.name` setter is sometimes lost on a
        /// thread that has just started.
        private static func setName(_ name: String) {
            #if os(Linux)
            let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return }
            _ = name.withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
            #else
            Thread.current.name = name
            #endif
        }

        /// The calling thread gives way to threads of normal priority (Linux keeps a nice value per
        /// thread). Nice 10 weighs 110 against a normal thread's 1024 in the Linux scheduler: against
        /// one busy request thread on its core, hashing gets about 10 % of it, so sign-in slows down
        /// under request load but is never starved (nice 19 would leave it about 1.5 %).

        private static func lowerPriority() {
            #if os(Linux)
            _ = nice(PasswordHashPool.niceValue)
            #endif
        }
    }
}
