/*
 * depot: interned call stacks, called on every traced allocation.
 *
 * Layout, with no allocation per stack:
 *  - pcs[0..npcs): the frames of every stack, back to back, in id order;
 *  - offs[id] = (offset into pcs << 8) | number of frames (1..255);
 *  - hashes[id]: 32-bit hash of the frames;
 *  - index[0..index_cap): open addressing (linear probing, power-of-two
 *    size) over ids; 0 is an empty bucket.
 *
 * Invariants:
 *  - nstacks >= 1: id 0 is reserved for the empty stack and is never
 *    stored; ids 1..nstacks-1 each appear exactly once in index[].
 *  - index load <= 1/2, so a miss ends within a couple of buckets.
 *  - Stacks are never removed, so the index needs no deletion.
 *
 * A lookup hashes the frames, probes index[] and compares hashes[id]
 * before touching offs[] and pcs[]; a hit costs one hash and usually one
 * memcmp.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakcheck/depot.h"
#include "leakcheck/util.h"

#define DEPOT_MIN_INDEX 256
#define DEPOT_LEN_BITS 8
#define DEPOT_LEN_MASK ((1u << DEPOT_LEN_BITS) - 1)

static inline uint32_t depot_hash(const taddr_t *pcs, unsigned n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;

	for (unsigned i = 0; i < n; i++) {
		h ^= pcs[i];
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)(h ^ (h >> 32));
}

void stack_depot_init(struct stack_depot *d)
{
	memset(d, 0, sizeof(*d));
	d->nstacks = 1;
}

void stack_depot_release(struct stack_depot *d)
{
	free(d->index);
	free(d->offs);
	free(d->hashes);
	free(d->pcs);
	stack_depot_init(d);
}

static void depot_index_put(uint32_t *index, size_t cap, uint32_t hash,
			    uint32_t id)
{
	size_t mask = cap - 1, b;

	for (b = hash & mask; index[b]; b = (b + 1) & mask)
		;
	index[b] = id;
}

static void depot_index_grow(struct stack_depot *d)
{
	size_t cap = d->index_cap ? d->index_cap * 2 : DEPOT_MIN_INDEX;

	free(d->index);
	d->index = xcalloc(cap, sizeof(*d->index));
	d->index_cap = cap;
	for (size_t id = 1; id < d->nstacks; id++)
		depot_index_put(d->index, cap, d->hashes[id], id);
}

/* Store PCS[0..N) with HASH under a new id; it is known to be absent. */
static uint32_t depot_add(struct stack_depot *d, const taddr_t *pcs, unsigned n,
			  uint32_t hash)
{
	uint32_t id = d->nstacks;
	uintptr_t p = (uintptr_t)pcs, base = (uintptr_t)d->pcs;

	BUG_ON(d->nstacks >= UINT32_MAX);
	if (d->nstacks * 2 >= d->index_cap)
		depot_index_grow(d);
	if (d->nstacks >= d->offs_cap) {
		size_t cap = d->offs_cap;

		d->offs =
		    xgrow(d->offs, &cap, d->nstacks + 1, sizeof(*d->offs));
		d->hashes = xrealloc(d->hashes, cap * sizeof(*d->hashes));
		d->offs_cap = cap;
	}
	if (d->npcs + n > d->pcs_cap) {
		/* PCS may point into our own storage (from stack_depot_get) */
		int inside = p >= base && p < base + d->npcs * sizeof(*d->pcs);
		size_t at = (p - base) / sizeof(*d->pcs);

		d->pcs =
		    xgrow(d->pcs, &d->pcs_cap, d->npcs + n, sizeof(*d->pcs));
		if (inside)
			pcs = d->pcs + at;
	}

	memcpy(d->pcs + d->npcs, pcs, n * sizeof(*pcs));
	d->offs[id] = (uint64_t)d->npcs << DEPOT_LEN_BITS | n;
	d->hashes[id] = hash;
	d->npcs += n;
	d->nstacks++;
	depot_index_put(d->index, d->index_cap, hash, id);
	return id;
}

uint32_t stack_depot_intern(struct stack_depot *d, const taddr_t *pcs,
			    unsigned n)
{
	uint32_t hash, id;

	if (!n)
		return 0;
	if (n > STACK_MAX_FRAMES)
		n = STACK_MAX_FRAMES;
	hash = depot_hash(pcs, n);
	d->lookups++;
	if (d->index_cap) {
		size_t mask = d->index_cap - 1, b;

		for (b = hash & mask; (id = d->index[b]); b = (b + 1) & mask) {
			uint64_t o;

			if (d->hashes[id] != hash)
				continue;
			o = d->offs[id];
			if ((o & DEPOT_LEN_MASK) == n &&
			    !memcmp(d->pcs + (o >> DEPOT_LEN_BITS), pcs,
				    n * sizeof(*pcs))) {
				d->hits++;
				return id;
			}
		}
	}
	return depot_add(d, pcs, n, hash);
}

const taddr_t *stack_depot_get(const struct stack_depot *d, uint32_t id,
			       unsigned *n)
{
	uint64_t o;

	if (!id || id >= d->nstacks) {
		*n = 0;
		return NULL;
	}
	o = d->offs[id];
	*n = o & DEPOT_LEN_MASK;
	return d->pcs + (o >> DEPOT_LEN_BITS);
}

size_t stack_depot_memory(const struct stack_depot *d)
{
	return d->index_cap * sizeof(*d->index) +
	       d->offs_cap * (sizeof(*d->offs) + sizeof(*d->hashes)) +
	       d->pcs_cap * sizeof(*d->pcs);
}
