/*
 * heap: the shadow table of live blocks, keyed by tracee address.
 *
 * Open addressing, no allocation per block: millions of entries must fit
 * in well under 48 bytes each.  Not thread-safe (one tracer thread).
 */
#ifndef LEAKCHECK_HEAP_H
#define LEAKCHECK_HEAP_H

#include "leakcheck/types.h"

enum heap_block_flags {
	HB_PRE_ATTACH = 1 << 0, /* found by the heap walk at attach: no stack */
};

struct heap_block {
	taddr_t addr;      /* user address returned by the allocator; never 0 */
	uint64_t size;     /* requested size in bytes */
	uint32_t stack_id; /* stack depot id; 0 = no stack */
	uint32_t flags;    /* enum heap_block_flags */
};

struct heap_table {
	struct heap_block *slots; /* capacity entries; addr 0 = empty */
	size_t capacity;          /* 2^k or 3 * 2^(k-1) (>= 64), or 0 */
	size_t count;             /* live entries */
	uint64_t total_allocs;    /* inserts since init (for HEAP SUMMARY) */
	uint64_t total_frees;     /* successful removes since init */
	uint64_t total_bytes;     /* bytes allocated since init */
};

/* Caller-owned struct; never fails. */
void heap_table_init(struct heap_table *t);
void heap_table_release(struct heap_table *t);
/* DST becomes a copy of SRC (a forked child).  DST must be released or fresh. */
void heap_table_copy(struct heap_table *dst, const struct heap_table *src);

/*
 * Insert B (B->addr != 0).  Returns 0 if the address was new, 1 if an
 * existing entry was overwritten (a missed free).  Never fails.
 */
int heap_table_insert(struct heap_table *t, const struct heap_block *b);
/* Remove ADDR; returns 1 and fills *OUT (if non-NULL) when found, else 0. */
int heap_table_remove(struct heap_table *t, taddr_t addr, struct heap_block *out);
/* Returns the entry for ADDR or NULL; valid until the next insert/remove. */
const struct heap_block *heap_table_find(const struct heap_table *t, taddr_t addr);

/* Sorted by address copy of all live blocks; malloc'd, caller frees. */
struct heap_block *heap_table_snapshot(const struct heap_table *t, size_t *n);
/* Bytes of our own memory the table uses. */
size_t heap_table_memory(const struct heap_table *t);

#endif
