/*
 * heap table: the live blocks of the tracee, keyed by address.
 *
 * One flat array of struct heap_block, open addressing with linear probing.
 * An entry with addr 0 is an empty slot; the allocator never returns 0 for
 * a live block, so 0 is free to mean "empty".
 *
 * Invariants:
 *  - Every live entry sits in the probe run that starts at its home slot:
 *    no empty slot lies between home(addr) and the entry (cyclically).
 *    Removal keeps this with backward-shift deletion (Knuth 6.4, algorithm
 *    R), so there are no tombstones and lookups never slow down with churn.
 *  - count <= max_load(capacity), about 0.8 * capacity.
 *
 * The home slot is hash(addr) scaled to [0, capacity) by a multiply-high
 * (Lemire's "fastrange") rather than masked, so the capacity need not be a
 * power of two.  It alternates between 2^k and 1.5 * 2^k (at least 64):
 * each growth is x1.5 or x1.33 instead of x2, so the 24-byte slots cost
 * between 30 bytes per live block (load 0.8, just before a growth) and 45
 * (load 0.53, just after one); doubling would swing up to 60.  A side
 * effect: slots are ordered by hash, so a rehash writes the new array
 * almost sequentially.
 *
 * XXX: the table never shrinks; a program that frees most of a large heap
 * keeps our peak.
 *
 * Addresses are 16-byte aligned and clustered, so the hash is a full 64-bit
 * finalizer (murmur3's fmix64): every input bit reaches the high bits that
 * pick the slot.
 */
#include <stdlib.h>
#include <string.h>

#include "leakcheck/heap.h"
#include "leakcheck/util.h"

#define HEAP_MIN_CAPACITY 64

static inline uint64_t
heap_hash(taddr_t addr)
{
	uint64_t h = addr;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Home slot of ADDR in a table of CAP slots; CAP > 0. */
static inline size_t
heap_home(taddr_t addr, size_t cap)
{
	return (size_t)(((unsigned __int128)heap_hash(addr) * cap) >> 64);
}

static inline size_t
heap_next(size_t i, size_t cap)
{
	return ++i == cap ? 0 : i;
}

/* Most entries a table of CAP slots may hold: 0.8 * CAP. */
static inline size_t
heap_max_load(size_t cap)
{
	return cap * 4 / 5;
}

/* 2^k -> 1.5 * 2^k -> 2^(k+1) */
static size_t
heap_next_capacity(size_t cap)
{
	if (cap < HEAP_MIN_CAPACITY)
		return HEAP_MIN_CAPACITY;
	if (!(cap & (cap - 1)))
		return cap + cap / 2;
	return cap / 3 * 4;
}

void
heap_table_init(struct heap_table *t)
{
	memset(t, 0, sizeof(*t));
}

void
heap_table_release(struct heap_table *t)
{
	free(t->slots);
	heap_table_init(t);
}

void
heap_table_copy(struct heap_table *dst, const struct heap_table *src)
{
	*dst = *src;
	dst->slots = NULL;
	if (src->capacity) {
		size_t bytes = src->capacity * sizeof(*src->slots);

		dst->slots = xmalloc(bytes);
		memcpy(dst->slots, src->slots, bytes);
	}
}

/* Put B, known to be absent, into SLOTS; the table has room. */
static void
heap_place(struct heap_block *slots, size_t cap, const struct heap_block *b)
{
	size_t i = heap_home(b->addr, cap);

	while (slots[i].addr)
		i = heap_next(i, cap);
	slots[i] = *b;
}

static void
heap_grow(struct heap_table *t)
{
	size_t cap = heap_next_capacity(t->capacity);
	struct heap_block *slots = xcalloc(cap, sizeof(*slots));

	/*
	 * Old slots are in hash order (but for a wrapped run at the start),
	 * and so are the new homes: the writes below walk SLOTS forward.
	 */
	for (size_t i = 0; i < t->capacity; i++)
		if (t->slots[i].addr)
			heap_place(slots, cap, &t->slots[i]);
	free(t->slots);
	t->slots = slots;
	t->capacity = cap;
}

int
heap_table_insert(struct heap_table *t, const struct heap_block *b)
{
	size_t i;

	BUG_ON(!b->addr);
	t->total_allocs++;
	t->total_bytes += b->size;
	if (t->capacity) {
		for (i = heap_home(b->addr, t->capacity); t->slots[i].addr;
		     i = heap_next(i, t->capacity)) {
			if (t->slots[i].addr == b->addr) {
				t->slots[i] = *b;
				return 1;
			}
		}
		if (t->count < heap_max_load(t->capacity)) {
			t->slots[i] = *b;
			t->count++;
			return 0;
		}
	}
	heap_grow(t);
	heap_place(t->slots, t->capacity, b);
	t->count++;
	return 0;
}

/* Slot index of ADDR, or (size_t)-1. */
static size_t
heap_lookup(const struct heap_table *t, taddr_t addr)
{
	size_t i;

	if (!t->capacity)
		return (size_t)-1;
	/* the empty test comes first, so addr 0 is never found */
	for (i = heap_home(addr, t->capacity); t->slots[i].addr;
	     i = heap_next(i, t->capacity))
		if (t->slots[i].addr == addr)
			return i;
	return (size_t)-1;
}

const struct heap_block *
heap_table_find(const struct heap_table *t, taddr_t addr)
{
	size_t i = heap_lookup(t, addr);

	return i == (size_t)-1 ? NULL : &t->slots[i];
}

int
heap_table_remove(struct heap_table *t, taddr_t addr, struct heap_block *out)
{
	struct heap_block *s = t->slots;
	size_t cap = t->capacity;
	size_t hole = heap_lookup(t, addr);
	size_t j;

	if (hole == (size_t)-1)
		return 0;
	if (out)
		*out = s[hole];
	t->count--;
	t->total_frees++;

	/*
	 * Backward shift: walk the run after the hole; an entry may fill the
	 * hole when the hole is no farther from its home than where it sits
	 * now, i.e. moving it keeps it inside its own probe run.
	 */
	for (j = heap_next(hole, cap); s[j].addr; j = heap_next(j, cap)) {
		size_t home = heap_home(s[j].addr, cap);
		size_t d_entry = j >= home ? j - home : j + cap - home;
		size_t d_hole = j >= hole ? j - hole : j + cap - hole;

		if (d_entry >= d_hole) {
			s[hole] = s[j];
			hole = j;
		}
	}
	memset(&s[hole], 0, sizeof(s[hole]));
	return 1;
}

/*
 * LSD radix sort of N blocks by address, 8 bits per pass, between A and
 * TMP; passes where every key has the same byte are skipped, so a 47-bit
 * user address space costs at most 6 passes.  Returns the buffer that
 * holds the result (A or TMP).
 */
static struct heap_block *
heap_radix_sort(struct heap_block *a, struct heap_block *tmp, size_t n)
{
	size_t counts[8][256] = {{0}};
	struct heap_block *src = a, *dst = tmp, *swap;

	for (size_t i = 0; i < n; i++)
		for (int p = 0; p < 8; p++)
			counts[p][(a[i].addr >> (8 * p)) & 0xff]++;

	for (int p = 0; p < 8; p++) {
		size_t *c = counts[p], sum = 0;
		int shift = 8 * p;

		if (c[(src[0].addr >> shift) & 0xff] == n)
			continue;
		for (int k = 0; k < 256; k++) {
			size_t v = c[k];

			c[k] = sum;
			sum += v;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i].addr >> shift) & 0xff]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	return src;
}

struct heap_block *
heap_table_snapshot(const struct heap_table *t, size_t *n)
{
	struct heap_block *a = xmalloc(t->count * sizeof(*a));
	struct heap_block *tmp, *sorted;
	size_t k = 0;

	for (size_t i = 0; i < t->capacity; i++)
		if (t->slots[i].addr)
			a[k++] = t->slots[i];
	BUG_ON(k != t->count);
	*n = k;
	if (k < 2)
		return a;

	tmp = xmalloc(k * sizeof(*tmp));
	sorted = heap_radix_sort(a, tmp, k);
	if (sorted == a) {
		free(tmp);
		return a;
	}
	free(a);
	return tmp;
}

/* The slot array only: the struct itself belongs to the caller. */
size_t
heap_table_memory(const struct heap_table *t)
{
	return t->capacity * sizeof(*t->slots);
}
