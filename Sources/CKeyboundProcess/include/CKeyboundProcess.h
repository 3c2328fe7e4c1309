// Process hardening the Swift side cannot reach directly: `prctl` is variadic, and the allocator
// hooks (BoringSSL's OPENSSL_memory_*, and `free`) must be C symbols of the executable.
#ifndef CKEYBOUND_PROCESS_H
#define CKEYBOUND_PROCESS_H

#include <stddef.h>
#include <stdint.h>

/// Sets whether the process may be dumped (PR_SET_DUMPABLE): 0 forbids core dumps and
/// ptrace attachment by anyone without CAP_SYS_PTRACE. Returns 0, or -1 with errno set.
int keybound_set_dumpable(int dumpable);

/// Whether the process may be dumped now (PR_GET_DUMPABLE): 0 or 1, or -1 with errno set.
int keybound_dumpable(void);

/// What BoringSSL's allocations in dump-excluded memory (SecretHeap.c) amount to.
struct keybound_secret_heap_stats {
    /// Blocks handed out, and freed, since the process started.
    uint64_t allocations, frees;
    /// Bytes requested by blocks still in use.
    uint64_t bytes_in_use;
    /// Bytes mapped for the heap, and how many of them the kernel locked into RAM.
    uint64_t mapped_bytes, locked_bytes;
};

/// Marks the calling thread as a secret worker: from now on its malloc, calloc and realloc come
/// from the secret heap (out of core dumps, locked, zeroed when freed).
void keybound_secret_thread_enter(void);

/// Whether the calling thread is a secret worker (1) or not (0).
int keybound_on_secret_thread(void);

/// `malloc_usable_size` as this executable answers it (the secret heap's, or glibc's), which
/// Swift's Glibc module does not show.
size_t keybound_malloc_usable_size(void *pointer);

/// Whether `pointer` lies in the secret heap's region.
int keybound_secret_heap_contains(const void *pointer);

/// A snapshot of the secret heap's counters.
struct keybound_secret_heap_stats keybound_secret_heap_stats(void);

/// The first and one-past-last address of the slab the secret heap carves from now (0 and 0
/// before its first allocation): for tests that find its mapping in /proc/self/smaps.
void keybound_secret_heap_current_slab(uintptr_t *start, uintptr_t *end);

#endif
