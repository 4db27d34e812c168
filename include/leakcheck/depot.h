/*
 * depot: interned call stacks.  A stack is an array of tracee PCs, innermost
 * first; identical stacks get the same 32-bit id.  Id 0 is the empty stack.
 * Stacks are never freed before the depot is.
 */
#ifndef LEAKCHECK_DEPOT_H
#define LEAKCHECK_DEPOT_H

#include "leakcheck/types.h"

struct stack_depot {
	/* hash index: id per bucket, 0 = empty */
	uint32_t *index;
	size_t index_cap; /* power of two */
	/* stack storage: per id, offset into pcs[] and length */
	uint64_t *offs;	  /* offs[id] = (offset << 8) | len */
	uint32_t *hashes; /* hashes[id] */
	size_t nstacks;	  /* ids 1..nstacks-1 used; id 0 reserved */
	size_t offs_cap;
	taddr_t *pcs;
	size_t npcs, pcs_cap;
	uint64_t lookups, hits; /* statistics */
};

#define STACK_MAX_FRAMES 255

void stack_depot_init(struct stack_depot *d);
void stack_depot_release(struct stack_depot *d);
/* Intern PCS[0..N) (N <= STACK_MAX_FRAMES; longer is truncated).  Never fails.
 * Returns the id, 0 only when N == 0. */
uint32_t stack_depot_intern(struct stack_depot *d, const taddr_t *pcs,
			    unsigned n);
/* Frames of ID, *N set; pointer valid until the next intern.  Unknown id:
 * NULL and *N = 0. */
const taddr_t *stack_depot_get(const struct stack_depot *d, uint32_t id,
			       unsigned *n);
size_t stack_depot_memory(const struct stack_depot *d);

#endif
