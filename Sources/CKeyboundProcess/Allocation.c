// The malloc family of the `keybound` executable: the secret heap on the secret worker threads.
//
// On a secret worker thread (after keybound_secret_thread_enter), malloc, calloc and realloc come
// from the secret heap (SecretHeap.c): out of dumps, locked, zeroed when freed, from whichever
// thread frees them. Everywhere else glibc's own functions (`__libc_malloc` and the rest) do the
// work, and freed blocks are left as glibc leaves them: zeroing every freed block of the process
// made SoftHSM2 (loaded in the same process for PKCS#11 custody) list objects twice and fail key
// generations, so secrets are kept to the secret threads instead.
//
// Defining these in the executable interposes them for every library the process loads. Not
// covered: memalign and its kin (glibc's, for alignments above 16).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <string.h>
#include "CKeyboundProcess.h"
#include "SecretHeap.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);

static __thread int on_secret_thread;
static size_t (*libc_usable_size)(void *);

__attribute__((constructor)) static void find_libc_usable_size(void) {
    libc_usable_size = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
}

void keybound_secret_thread_enter(void) { on_secret_thread = 1; }

int keybound_on_secret_thread(void) { return on_secret_thread; }

void *malloc(size_t size) {
    return on_secret_thread ? keybound_secret_alloc(size) : __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    if (!on_secret_thread) return __libc_calloc(count, size);
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return NULL;
    void *block = keybound_secret_alloc(total);
    if (block != NULL) memset(block, 0, total);
    return block;
}

size_t malloc_usable_size(void *pointer) {
    if (pointer == NULL) return 0;
    if (keybound_secret_heap_contains(pointer)) return keybound_secret_usable_size(pointer);
    return libc_usable_size != NULL ? libc_usable_size(pointer) : 0;
}

void free(void *pointer) {
    if (pointer == NULL) return;
    if (keybound_secret_heap_contains(pointer)) {
        keybound_secret_free(pointer);
        return;
    }
    __libc_free(pointer);
}

void *realloc(void *pointer, size_t size) {
    if (pointer == NULL) return malloc(size);
    if (!keybound_secret_heap_contains(pointer) && !on_secret_thread) return __libc_realloc(pointer, size);
    if (size == 0) {
        free(pointer);
        return NULL;
    }
    size_t old = malloc_usable_size(pointer);
    void *moved = malloc(size);
    if (moved == NULL) return NULL;
    memcpy(moved, pointer, old < size ? old : size);
    free(pointer);
    return moved;
}

size_t keybound_malloc_usable_size(void *pointer) { return malloc_usable_size(pointer); }
