// BoringSSL's allocations in memory kept out of core dumps.
//
// BoringSSL (swift-crypto's, and swift-nio-ssl's) calls OPENSSL_memory_alloc, _free and _get_size
// when a program defines them. Keybound's executable does, so that every key object swift-crypto
// builds (an EC_KEY and its scalar, an RSA key's BIGNUMs and Montgomery contexts, a signature's
// nonce) lives in pages marked MADV_DONTDUMP and, when the kernel allows it, locked into RAM.
//
// A small size-class allocator: blocks of 32 bytes to 64 KiB are carved from 1 MiB slabs and kept
// on per-class free lists; larger blocks get mappings of their own. Every block is zeroed when it
// is freed (BoringSSL leaves that to this hook). One mutex guards it: BoringSSL may call here
// holding its own locks, and a plain pthread mutex that calls nothing else cannot deadlock them.
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "CKeyboundProcess.h"

#define SLAB_SIZE (1u << 20)
#define HEADER_SIZE 16
#define LARGE_CLASS 0xFFFFu
#define BLOCK_MAGIC 0x4B42u

static const size_t class_sizes[] = {
    32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072,
    4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536,
};
#define CLASS_COUNT (sizeof(class_sizes) / sizeof(class_sizes[0]))

// Sits in the 16 bytes before every block handed out.
struct block_header {
    size_t requested;    // what the caller asked for (OPENSSL_memory_get_size)
    uint16_t size_class; // index into class_sizes, or LARGE_CLASS
    uint16_t magic;
    uint32_t mapped_pages; // for a large block: the pages of its own mapping
};

struct free_block { struct free_block *next; };

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct free_block *free_lists[CLASS_COUNT];
static uint8_t *slab_cursor, *slab_end;
static struct keybound_secret_heap_stats stats;

// New memory for secrets: private, anonymous, left out of dumps, locked if the kernel agrees.
static void *map_secret_pages(size_t length) {
    void *pages = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) return NULL;
    madvise(pages, length, MADV_DONTDUMP);
    if (mlock(pages, length) == 0) {
        stats.locked_bytes += length;
    }
    stats.mapped_bytes += length;
    return pages;
}

static int class_for(size_t size) {
    for (size_t index = 0; index < CLASS_COUNT; index++) {
        if (size + HEADER_SIZE <= class_sizes[index]) return (int)index;
    }
    return -1;
}

static void *secret_alloc_locked(size_t size) {
    int size_class = class_for(size);
    struct block_header *header;
    if (size_class < 0) {
        size_t page = 4096;
        size_t length = (size + HEADER_SIZE + page - 1) / page * page;
        header = map_secret_pages(length);
        if (header == NULL) return NULL;
        header->size_class = LARGE_CLASS;
        header->mapped_pages = (uint32_t)(length / page);
    } else if (free_lists[size_class] != NULL) {
        header = (struct block_header *)free_lists[size_class];
        free_lists[size_class] = free_lists[size_class]->next;
        header->size_class = (uint16_t)size_class;
    } else {
        size_t block = class_sizes[size_class];
        if (slab_cursor == NULL || (size_t)(slab_end - slab_cursor) < block) {
            uint8_t *slab = map_secret_pages(SLAB_SIZE);
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
    return (uint8_t *)header + HEADER_SIZE;
}

void *OPENSSL_memory_alloc(size_t size) {
    pthread_mutex_lock(&heap_lock);
    void *block = secret_alloc_locked(size);
    pthread_mutex_unlock(&heap_lock);
    return block;
}

void OPENSSL_memory_free(void *pointer) {
    struct block_header *header = (struct block_header *)((uint8_t *)pointer - HEADER_SIZE);
    pthread_mutex_lock(&heap_lock);
    stats.frees += 1;
    stats.bytes_in_use -= header->requested;
    if (header->size_class == LARGE_CLASS) {
        size_t length = (size_t)header->mapped_pages * 4096;
        explicit_bzero(header, length);
        munlock(header, length);
        munmap(header, length);
        stats.mapped_bytes -= length;
    } else {
        size_t size_class = header->size_class;
        explicit_bzero(header, class_sizes[size_class]);
        struct free_block *freed = (struct free_block *)header;
        freed->next = free_lists[size_class];
        free_lists[size_class] = freed;
    }
    pthread_mutex_unlock(&heap_lock);
}

size_t OPENSSL_memory_get_size(void *pointer) {
    return ((struct block_header *)((uint8_t *)pointer - HEADER_SIZE))->requested;
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
