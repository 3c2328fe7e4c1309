import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A few threads of their own for work on secret bytes: building a software key from its locked
/// bytes, signing with it, and unsealing it.
///
/// swift-crypto's key objects and BoringSSL's signing code put key material on the stack of the
/// thread that runs them (a nonce's hash input holds the private scalar, for one). These threads'
/// stacks are mappings of their own marked `MADV_DONTDUMP`, and in the `keybound` executable their
/// heap allocations come from its secret heap (``installThreadStartHook(_:)``), so none of that
/// reaches a core dump, and no event-loop or cooperative-pool thread ever carries it. Work is
/// short and never blocks.
package final class SecretWorkers: Sendable {
    /// The process's workers: as many threads as cores, at most four.
    package static let shared = SecretWorkers(threads: min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)))

    /// One thread for making keys, so that an RSA key's search for primes (seconds in a debug
    /// build) never holds up a signature on ``shared``.
    package static let keyGeneration = SecretWorkers(threads: 1)

    private static let threadStartHook = Mutex<(@convention(c) () -> Void)?>(nil)

    /// Has every worker thread call `hook` first, before any work: the `keybound` executable
    /// installs `keybound_secret_thread_enter`, which moves the thread's allocations to its secret
    /// heap. Call it before the first use of ``shared``; threads already started keep running
    /// without it.
    package static func installThreadStartHook(_ hook: @escaping @convention(c) () -> Void) {
        threadStartHook.withLock { $0 = hook }
    }

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let waiting = DispatchSemaphore(value: 0)
    /// How many of the threads run on stacks left out of dumps.
    private let excludedStacks = Atomic<Int>(0)

    private init(threads: Int) {
        for index in 0..<threads {
            if !startThread(stackSize: 512 * 1024, body: { [self] in run() }) {
                // No thread of our own (mapping refused): the worker runs on Foundation's, whose stack is dumpable.
                let thread = Thread { [self] in run() }
                thread.name = "keybound-secrets-\(index)"
                thread.start()
            }
        }
    }

    /// Runs `body` on one of the workers and returns what it returns.
    package func run<R: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> R) async throws(E) -> R {
        let result: Result<R, E> = await withCheckedContinuation { continuation in
            jobs.withLock {
                $0.append {
                    do throws(E) { continuation.resume(returning: .success(try body())) } catch { continuation.resume(returning: .failure(error)) }
                }
            }
            waiting.signal()
        }
        return try result.get()
    }

    /// Runs `body` on one of the workers and waits for it, blocking the calling thread: for the
    /// synchronous paths that touch a secret (the audit signing key's file and its checkpoint
    /// signatures). Never call it from a worker.
    package func runBlocking<R: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> R) throws(E) -> R {
        let outcome = Mutex<Result<R, E>?>(nil)
        let done = DispatchSemaphore(value: 0)
        jobs.withLock {
            $0.append {
                let result: Result<R, E>
                do throws(E) { result = .success(try body()) } catch { result = .failure(error) }
                outcome.withLock { $0 = result }
                done.signal()
            }
        }
        waiting.signal()
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// How many worker threads run on `MADV_DONTDUMP` stacks (for tests).
    package var threadsWithStacksOutOfDumps: Int { excludedStacks.load(ordering: .acquiring) }

    private func run() {
        Self.threadStartHook.withLock { $0 }?()
        while true {
            waiting.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job()
        }
    }

    /// Starts a thread running `body` on a stack Keybound maps itself: `MADV_DONTDUMP`, with a
    /// guard page below it. `false` if the stack or the thread could not be made.
    private func startThread(stackSize: Int, body: @escaping @Sendable () -> Void) -> Bool {
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = stackSize + page
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0),
              mapped != MAP_FAILED else { return false }
        _ = mprotect(mapped, page, PROT_NONE)
        let dontDump = madvise(mapped + page, stackSize, MADV_DONTDUMP) == 0
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        guard pthread_attr_setstack(&attributes, mapped + page, stackSize) == 0 else {
            munmap(mapped, length)
            return false
        }
        let box = Unmanaged.passRetained(ThreadBody(body))
        var thread = pthread_t()
        let started = pthread_create(&thread, &attributes, { argument in
            let body = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
            body.run()
            return nil
        }, box.toOpaque())
        guard started == 0 else {
            box.release()
            munmap(mapped, length)
            return false
        }
        pthread_detach(thread)
        if dontDump { excludedStacks.add(1, ordering: .releasing) }
        return true
        #else
        return false
        #endif
    }
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
