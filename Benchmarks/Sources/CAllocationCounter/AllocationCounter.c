// The benchmark executable's malloc family: glibc's own functions (`__libc_malloc` and the rest),
// with a per-thread count of allocations while a measurement asks for it. Defining them in the
// executable interposes them for every library it loads, swift-crypto's BoringSSL included, so the
// count covers Keybound, the Swift runtime and the cryptography alike. The cost outside a count is
// one thread-local load per call, the same for every contender.
#include <errno.h>
#include <stddef.h>
#include "CAllocationCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static __thread int counting;
static __thread unsigned long long counted;

void benchmark_allocations_start(void) {
    counted = 0;
    counting = 1;
}

unsigned long long benchmark_allocations_stop(void) {
    counting = 0;
    return counted;
}

void *malloc(size_t size) {
    if (counting) counted++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    if (counting) counted++;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    void *moved = __libc_realloc(pointer, size);
    if (counting && moved != pointer && moved != NULL) counted++;
    return moved;
}

void free(void *pointer) { __libc_free(pointer); }

void *memalign(size_t alignment, size_t size) {
    if (counting) counted++;
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *block = memalign(alignment, size);
    if (block == NULL) return ENOMEM;
    *result = block;
    return 0;
}
