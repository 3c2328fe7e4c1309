// Zero on free: every block the program frees is zeroed before glibc takes it back.
//
// Swift code, Foundation and swift-crypto allocate with malloc. What they free (a decrypted key's
// bytes in a `Data`, an AES context whose key schedule holds the key-encryption key, a string)
// would otherwise stay readable in the heap, and in a core dump, until the allocator reuses it.
// Defining `free` in the executable interposes it for every library the process loads; it zeroes
// the block's usable size and hands it to glibc's own `__libc_free`. Blocks glibc frees inside
// itself, and the old block of a `realloc` that moves, are not covered. A block glibc mapped on its
// own (large ones, IS_MMAPPED in its chunk header) goes back to the kernel, which zeroes pages
// before it hands them out again, so it is not zeroed here.
#define _GNU_SOURCE
#include <malloc.h>
#include <string.h>

extern void __libc_free(void *pointer);

/// glibc's chunk header, one word before the block: its size, with IS_MMAPPED in bit 1.
static int mapped_on_its_own(void *pointer) {
    return (((size_t *)pointer)[-1] & 0x2) != 0;
}

void free(void *pointer) {
    if (pointer == NULL) return;
    if (!mapped_on_its_own(pointer)) explicit_bzero(pointer, malloc_usable_size(pointer));
    __libc_free(pointer);
}
