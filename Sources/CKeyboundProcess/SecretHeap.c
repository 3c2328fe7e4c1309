// Memory kept out of core dumps, for BoringSSL and for the secret worker threads.
//
// One region of virtual memory is reserved at start (MAP_NORESERVE, so untouched pages cost
// nothing) and marked MADV_DONTDUMP as a whole; every block below comes from it, and slabs are
// locked into RAM (mlock) as they are carved, when the kernel allows.
//
// Two kinds of callers use it:
// - BoringSSL (swift-crypto's, and swift-nio-ssl's), through OPENSSL_memory_alloc, _free and
//   _get_size, which it calls when a program defines them: an EC key and its scalar, an RSA key's
//   integers and Montgomery contexts, a signature's nonce, from any thread.
// - Every allocation made on a secret worker thread (Keybound's SecretWorkers, which call
//   keybound_secret_thread_enter when they start): malloc, calloc and realloc there come from this
//   region, so what swift-crypto and Foundation allocate while a key is rebuilt and used (an
//   Ed25519 key's SecureBytes, the decrypted bytes of a sealed key) never reaches a dump either.
//
// A small size-class allocator: blocks of 32 bytes to 64 KiB are carved from 1 MiB slabs and kept
// on per-class free lists; larger ones are page runs, reused by size. Every block is zeroed when
// freed. One mutex guards it: BoringSSL may call here holding its own locks, and a plain pthread
// mutex that calls nothing else cannot deadlock them.
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "CKeyboundProcess.h"
#include "SecretHeap.h"

#define REGION_SIZE ((size_t)1 << 32)
#define SLAB_SIZE ((size_t)1 << 20)
#define PAGE 4096
#define LARGE_CLASS 0xFFFFu
#define BLOCK_MAGIC 0x4B42u

static const size_t class_sizes[] = {
    32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072,
    4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536,
};
#define CLASS_COUNT (sizeof(class_sizes) / sizeof(class_sizes[0]))

// Sits in the 16 bytes before every block handed out.
struct block_header {
    size_t requested;      // what the caller asked for (OPENSSL_memory_get_size)
    uint16_t size_class;   // index into class_sizes, or LARGE_CLASS
    uint16_t magic;
    uint32_t pages;        // for a large block: the pages it spans, header included
};

struct free_block { struct free_block *next; uint32_t pages; };

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t region_once = PTHREAD_ONCE_INIT;
static uint8_t *region_base, *region_end, *region_cursor;
static struct free_block *free_lists[CLASS_COUNT];
static struct free_block *free_large;
static uint8_t *slab_cursor, *slab_end;
static struct keybound_secret_heap_stats stats;

static void reserve_region(void) {
    void *region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) return;
    madvise(region, REGION_SIZE, MADV_DONTDUMP);
    region_base = region_cursor = region;
    region_end = region_base + REGION_SIZE;
}

int keybound_secret_heap_contains(const void *pointer) {
    return region_base != NULL && (const uint8_t *)pointer >= region_base && (const uint8_t *)pointer < region_end;
}

// Pages carved from the region for good: locked if the kernel agrees. Called with the lock held.
static uint8_t *carve(size_t length) {
    if (region_base == NULL || (size_t)(region_end - region_cursor) < length) return NULL;
    uint8_t *pages = region_cursor;
    region_cursor += length;
    if (mlock(pages, length) == 0) stats.locked_bytes += length;
    stats.mapped_bytes += length;
    return pages;
}

static int class_for(size_t size) {
    for (size_t index = 0; index < CLASS_COUNT; index++) {
        if (size <= class_sizes[index] - sizeof(struct block_header)) return (int)index;
    }
    return -1;
}

static void *alloc_locked(size_t size) {
    int size_class = class_for(size);
    struct block_header *header = NULL;
    if (size_class < 0) {
        if (size > REGION_SIZE / 2) return NULL;
        uint32_t pages = (uint32_t)((size + sizeof(struct block_header) + PAGE - 1) / PAGE);
        for (struct free_block **link = &free_large; *link != NULL; link = &(*link)->next) {
            if ((*link)->pages == pages) {
                header = (struct block_header *)*link;
                *link = (*link)->next;
                break;
            }
        }
        if (header == NULL) header = (struct block_header *)carve((size_t)pages * PAGE);
        if (header == NULL) return NULL;
        header->size_class = LARGE_CLASS;
        header->pages = pages;
    } else if (free_lists[size_class] != NULL) {
        header = (struct block_header *)free_lists[size_class];
        free_lists[size_class] = free_lists[size_class]->next;
        header->size_class = (uint16_t)size_class;
    } else {
        size_t block = class_sizes[size_class];
        if (slab_cursor == NULL || (size_t)(slab_end - slab_cursor) < block) {
            uint8_t *slab = carve(SLAB_SIZE);
            if (slab == NULL) return NULL;
            slab_cursor = slab;
            slab_end = slab + SLAB_SIZE;
        }
        header = (struct block_header *)slab_cursor;
        slab_cursor += block;
        header->size_class = (uint16_t)size_class;
    }
    header->requested = size;
    header->magic = BLOCK_MAGIC;
    stats.allocations += 1;
    stats.bytes_in_use += size;
    return (uint8_t *)header + sizeof(struct block_header);
}

void *keybound_secret_alloc(size_t size) {
    pthread_once(&region_once, reserve_region);
    pthread_mutex_lock(&heap_lock);
    void *block = alloc_locked(size);
    pthread_mutex_unlock(&heap_lock);
    return block;
}

void keybound_secret_free(void *pointer) {
    struct block_header *header = (struct block_header *)((uint8_t *)pointer - sizeof(struct block_header));
    pthread_mutex_lock(&heap_lock);
    stats.frees += 1;
    stats.bytes_in_use -= header->requested;
    if (header->size_class == LARGE_CLASS) {
        uint32_t pages = header->pages;
        explicit_bzero(header, (size_t)pages * PAGE);
        struct free_block *freed = (struct free_block *)header;
        freed->pages = pages;
        freed->next = free_large;
        free_large = freed;
    } else {
        size_t size_class = header->size_class;
        explicit_bzero(header, class_sizes[size_class]);
        struct free_block *freed = (struct free_block *)header;
        freed->next = free_lists[size_class];
        free_lists[size_class] = freed;
    }
    pthread_mutex_unlock(&heap_lock);
}

size_t keybound_secret_usable_size(const void *pointer) {
    const struct block_header *header = (const struct block_header *)((const uint8_t *)pointer - sizeof(struct block_header));
    if (header->size_class == LARGE_CLASS) return (size_t)header->pages * PAGE - sizeof(struct block_header);
    return class_sizes[header->size_class] - sizeof(struct block_header);
}

void *OPENSSL_memory_alloc(size_t size) { return keybound_secret_alloc(size); }
void OPENSSL_memory_free(void *pointer) { keybound_secret_free(pointer); }
size_t OPENSSL_memory_get_size(void *pointer) {
    return ((struct block_header *)((uint8_t *)pointer - sizeof(struct block_header)))->requested;
}

struct keybound_secret_heap_stats keybound_secret_heap_stats(void) {
    pthread_mutex_lock(&heap_lock);
    struct keybound_secret_heap_stats copy = stats;
    pthread_mutex_unlock(&heap_lock);
    return copy;
}

void keybound_secret_heap_current_slab(uintptr_t *start, uintptr_t *end) {
    pthread_mutex_lock(&heap_lock);
    *start = slab_end == NULL ? 0 : (uintptr_t)(slab_end - SLAB_SIZE);
    *end = (uintptr_t)slab_end;
    pthread_mutex_unlock(&heap_lock);
}
