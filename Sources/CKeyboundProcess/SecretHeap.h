// The secret heap's allocator, for the malloc family in Allocation.c (not part of the module's API).
#ifndef CKEYBOUND_SECRET_HEAP_H
#define CKEYBOUND_SECRET_HEAP_H
#include <stddef.h>

void *keybound_secret_alloc(size_t size);
void keybound_secret_free(void *pointer);
size_t keybound_secret_usable_size(const void *pointer);
int keybound_secret_heap_contains(const void *pointer);

#endif
