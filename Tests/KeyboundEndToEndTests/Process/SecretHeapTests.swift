import CKeyboundProcess
import Crypto
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The executable's allocator hooks (`CKeyboundProcess`), which this test process links as
/// `keybound` does: BoringSSL's allocations, and the secret threads', in dump-excluded memory
/// that is zeroed when freed.
@Suite("Process: the secret heap is left out of dumps, and zeroes what is freed")
struct SecretHeapTests {
    @Test("a swift-crypto key's BoringSSL objects are allocated from the secret heap, whose slab is marked do-not-dump (dd) and locked (lo) when the kernel allows")
    func boringSSLAllocatesFromTheSecretHeap() throws {
        let before = keybound_secret_heap_stats()
        let key = P256.Signing.PrivateKey()
        _ = try key.signature(for: Data("probe".utf8))
        let during = keybound_secret_heap_stats()
        #expect(during.allocations > before.allocations, "an EC key and a signature allocate in BoringSSL")
        #expect(during.bytes_in_use > 0)
        var start: UInt = 0, end: UInt = 0
        keybound_secret_heap_current_slab(&start, &end)
        try #require(end > start)
        let flags = try MemoryMappingFlags.of(start)
        #expect(flags.contains("dd"), "VmFlags: \(flags)")
        if during.locked_bytes > 0 { #expect(flags.contains("lo"), "VmFlags: \(flags)") }
        _ = key
    }

    @Test("a block freed on the secret heap is zeroed: the same block, handed out again, holds none of what was written")
    func freedSecretBlocksAreZeroed() throws {
        let (first, second, clean, _) = Self.onSecretThread { () -> (UInt, Int, Bool, UInt) in
            let first = malloc(200)!
            memset(first, 0xA5, 200)
            free(first)
            // The secret heap's free lists hand the block just freed straight back for the same size.
            let second = malloc(200)!
            defer { free(second) }
            let clean = !UnsafeRawBufferPointer(start: second, count: 200).contains(0xA5)
            return (UInt(bitPattern: first), Int(bitPattern: UInt(bitPattern: second)), clean, 0)
        }
        try #require(UInt(bitPattern: second) == first, "the secret heap did not hand back the same block; the test cannot look at it")
        #expect(clean, "the freed block still held what was written")
    }

    final class Box: @unchecked Sendable { var value: (UInt, Int, Bool, UInt)? }

    /// Runs `body` on a fresh thread that has entered the secret heap, and returns its result.
    static func onSecretThread(_ body: @escaping @Sendable () -> (UInt, Int, Bool, UInt)) -> (UInt, Int, Bool, UInt) {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            keybound_secret_thread_enter()
            box.value = body()
            done.signal()
        }
        thread.start()
        done.wait()
        return box.value!
    }

    @Test("on a secret worker thread, malloc, calloc and realloc come from the secret heap (do-not-dump pages), keep their contents, report a usable size, and can be freed from any thread; elsewhere they do not")
    func secretThreadsAllocateFromTheSecretHeap() throws {
        // (grown block, usable size of the first block or -1 if realloc lost its contents, calloc zeroed, first block)
        let (grown, usable, zeroed, first) = Self.onSecretThread { () -> (UInt, Int, Bool, UInt) in
            let block = malloc(100)!
            memset(block, 0x5A, 100)
            let usable = keybound_malloc_usable_size(block)
            let cleared = calloc(10, 10)!
            let zeroed = UnsafeRawBufferPointer(start: cleared, count: 100).allSatisfy { $0 == 0 }
            free(cleared)
            let grown = realloc(block, 5000)!
            let kept = UnsafeRawBufferPointer(start: grown, count: 100).allSatisfy { $0 == 0x5A }
            return (UInt(bitPattern: grown), kept ? usable : -1, zeroed, UInt(bitPattern: block))
        }
        #expect(usable >= 100, "the usable size covers the request, and realloc kept the contents")
        #expect(zeroed)
        let grownPointer = try #require(UnsafeMutableRawPointer(bitPattern: grown))
        #expect(keybound_secret_heap_contains(grownPointer) == 1)
        #expect(keybound_secret_heap_contains(try #require(UnsafeRawPointer(bitPattern: first))) == 1)
        let flags = try MemoryMappingFlags.of(grown)
        #expect(flags.contains("dd"), "VmFlags: \(flags)")
        free(grownPointer)   // from another thread than the one that allocated it

        let ordinary = try #require(malloc(100))
        defer { free(ordinary) }
        #expect(keybound_secret_heap_contains(ordinary) == 0)
        #expect(keybound_on_secret_thread() == 0)
    }
}
