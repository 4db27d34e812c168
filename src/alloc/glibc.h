/*
 * glibc: the geometry of glibc 2.36's malloc, written once, for the heap
 * walk (heapwalk.c) and the root gathering (roots.c).  Offsets are of
 * x86-64's structures (malloc/malloc.c, arena.c).
 */
#ifndef LEAKCHECK_ALLOC_GLIBC_H
#define LEAKCHECK_ALLOC_GLIBC_H

/* a chunk's size word: its flag bits */
#define PREV_INUSE 0x1ull
#define IS_MMAPPED 0x2ull
#define NON_MAIN_ARENA 0x4ull
#define SIZE_BITS 0x7ull
#define MINSIZE 32ull
/* A chunk's header is 16 bytes before the block: prev_size, size. */
#define CHUNK_HDR 16ull

/* struct malloc_state (an arena) */
#define MS_FASTBINS 16 /* offsetof(struct malloc_state, fastbinsY) */
#define MS_NFASTBINS 10
#define MS_TOP 96
#define MS_BINS 112
#define MS_NBINS 128 /* bins 1..127, two words each */
#define MS_NEXT 2160
#define MS_SYSTEM_MEM 2184
#define MS_SIZE 2200 /* sizeof(struct malloc_state) */

/* A non-main arena's heap: HEAP_MAX_SIZE (2 * DEFAULT_MMAP_THRESHOLD_MAX
 * on 64-bit) aligned, a heap_info header {ar_ptr, prev, size,
 * mprotect_size} first. */
#define HEAP_MAX (64ull << 20)
#define HEAP_INFO_SIZE 48ull

/* struct malloc_par (mp_) */
#define MP_N_MMAPS 60
#define MP_MAX_N_MMAPS 68
#define MP_MMAPPED_MEM 80
#define MP_MAX_MMAPPED_MEM 88
#define MP_SBRK_BASE 96
#define MP_TCACHE_BINS 104
#define MP_SIZE 136

#define TCACHE_BINS 64
#define TCACHE_CHUNK 0x290ull /* sizeof(tcache_perthread_struct) + header */
#define MAX_ARENAS 1024

#endif
