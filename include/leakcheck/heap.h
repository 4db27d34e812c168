/*
 * heap: the shadow table of live blocks, keyed by tracee address.
 *
 * Open addressing, no allocation per block: a block costs one 16-byte
 * slot, 20 to 30 bytes of our memory at the table's load factors.  Not
 * thread-safe (one tracer thread).
 */
#ifndef LEAKCHECK_HEAP_H
#define LEAKCHECK_HEAP_H

#include "leakcheck/types.h"

enum heap_block_flags {
	HB_PRE_ATTACH = 1 << 0, /* found by the heap walk at attach: no stack */
	HB_CUSTOM = 1 << 1,	/* declared by the program (valgrind.h's
				 * MALLOCLIKE_BLOCK, MEMPOOL_ALLOC): a malloc'd
				 * block that holds one is its pool's memory,
				 * not a block of its own (memcheck's rule) */
	HB_POOL = 1 << 2,	/* a mempool's chunk (with HB_CUSTOM): as in
				 * memcheck, counted in allocs, but not in use
				 * at exit, and its free is not a free */
	HB_CORE = 1 << 3,	/* found in a core (--core): no stack; a stack
				 * id, if any, is one frame, the vtable its
				 * first word points to (its C++ class) */
};

/* A live block, as the table's callers see it. */
struct heap_block {
	taddr_t addr;	   /* user address returned by the allocator; never 0 */
	uint64_t size;	   /* requested size in bytes */
	uint32_t stack_id; /* stack depot id; 0 = no stack */
	uint32_t flags;	   /* enum heap_block_flags */
};

/*
 * How the table stores most blocks: size below 2^32 - 1, and either no
 * flags or (a block of the heap walk) HB_PRE_ATTACH with stack id 0,
 * which is stored as the stack HEAP_SLOT_PRE_ATTACH.  Any other block
 * goes into the wide array as a whole struct heap_block.
 */
struct heap_slot {
	taddr_t addr;	/* 0 = empty */
	uint32_t size;	/* requested size */
	uint32_t stack; /* stack depot id, or HEAP_SLOT_PRE_ATTACH */
};
#define HEAP_SLOT_PRE_ATTACH (UINT32_MAX - 1)

struct heap_table {
	struct heap_slot *slots; /* capacity entries; addr 0 = empty */
	size_t capacity;	 /* 2^k or 3 * 2^(k-1) (>= 64), or 0 */
	size_t nslots;		 /* live entries in slots */
	struct heap_block *wide; /* the blocks no slot can hold, same scheme */
	size_t wide_capacity;
	size_t nwide;	       /* live entries in wide */
	size_t count;	       /* live blocks: nslots + nwide */
	uint64_t total_allocs; /* inserts since init (for HEAP SUMMARY) */
	uint64_t total_frees;  /* successful removes since init */
	uint64_t total_bytes;  /* bytes allocated since init */
};

/* Caller-owned struct; never fails. */
void heap_table_init(struct heap_table *t);
void heap_table_release(struct heap_table *t);
/* DST becomes a copy of SRC (a forked child).  DST must be released or fresh.
 */
void heap_table_copy(struct heap_table *dst, const struct heap_table *src);

/*
 * Insert B (B->addr != 0).  Returns 0 if the address was new, 1 if an
 * existing entry was overwritten (a missed free).  Never fails.
 */
int heap_table_insert(struct heap_table *t, const struct heap_block *b);
/* Remove ADDR; returns 1 and fills *OUT (if non-NULL) when found, else 0. */
int heap_table_remove(struct heap_table *t, taddr_t addr,
		      struct heap_block *out);
/* Returns 1 and fills *OUT (if non-NULL) if ADDR is live, else 0. */
int heap_table_find(const struct heap_table *t, taddr_t addr,
		    struct heap_block *out);

/* Sorted by address copy of all live blocks, *N of them; malloc'd (never
 * NULL), caller frees.  Costs 24 bytes per block on top of the table. */
struct heap_block *heap_table_snapshot(const struct heap_table *t, size_t *n);
/*
 * The same, but made from the table's own memory, which costs nothing on
 * top of it: the table is left empty (its total_* counters stay) and
 * usable.  For the last report of a process.
 */
struct heap_block *heap_table_take(struct heap_table *t, size_t *n);
/* Sort N blocks by address, in place, with no allocation. */
void heap_blocks_sort(struct heap_block *a, size_t n);
/* Bytes of our own memory the table uses. */
size_t heap_table_memory(const struct heap_table *t);

#endif
