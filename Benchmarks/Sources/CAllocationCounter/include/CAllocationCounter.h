// Counts the calling thread's heap allocations, for the benchmark's allocations-per-operation table.
#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

/// Starts counting this thread's allocations from zero.
void benchmark_allocations_start(void);

/// Stops counting and returns how many blocks this thread allocated since the start (malloc,
/// calloc, realloc to a new block, and the aligned allocators).
unsigned long long benchmark_allocations_stop(void);

#endif
