/*
 * heap table: the live blocks of the tracee, keyed by address.
 *
 * Two flat arrays with the same scheme: slots (struct heap_slot, 16
 * bytes) for almost every block, and wide (struct heap_block, 24 bytes)
 * for the few a slot cannot hold (a size of 4 GiB or more, a flag other
 * than the heap walk's).  Open addressing with linear probing.  An entry
 * with addr 0 is empty; the allocator never returns 0 for a live block,
 * so 0 is free to mean "empty".
 *
 * Invariants:
 *  - An address is in at most one of the two arrays.
 *  - Every live entry sits in the probe run that starts at its home slot:
 *    no empty slot lies between home(addr) and the entry (cyclically).
 *    Removal keeps this with backward-shift deletion (Knuth 6.4, algorithm
 *    R), so there are no tombstones and lookups never slow down with churn.
 *  - entries <= max_load(capacity), about 0.8 * capacity, in each array.
 *
 * The home slot is hash(addr) scaled to [0, capacity) by a multiply-high
 * (Lemire's "fastrange") rather than masked, so the capacity need not be a
 * power of two.  It alternates between 2^k and 1.5 * 2^k (at least 64):
 * each growth is x1.5 or x1.33 instead of x2, so the 16-byte slots cost
 * between 20 bytes per live block (load 0.8, just before a growth) and 30
 * (load 0.53, just after one); doubling would swing up to 40.  Slots are
 * ordered by hash but for displacements, so a rehash reads the old array
 * and writes the new one almost sequentially: it gives the old array's
 * pages back as it goes (madvise), and a growth costs little more than
 * the new array instead of old + new.
 *
 * At a process's last report heap_table_take turns the slots array itself
 * into the sorted array of blocks the scan needs (compact, widen in place,
 * sort in place), so the report never holds the table and a copy at once.
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
#include <sys/mman.h>

#include "leakcheck/heap.h"
#include "leakcheck/util.h"

#define HEAP_MIN_CAPACITY 64
#define NONE ((size_t)-1)
#define ES_SLOT sizeof(struct heap_slot)
#define ES_WIDE sizeof(struct heap_block)
/* a growth gives back the old array's pages in steps of this many bytes,
 * if the old array is at least 4 steps long */
#define RELEASE_STEP (256u * 1024)

_Static_assert(sizeof(struct heap_slot) == 16, "heap_slot is 16 bytes");
_Static_assert(sizeof(struct heap_block) == 24, "heap_block is 24 bytes");

static inline uint64_t heap_hash(taddr_t addr)
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
static inline size_t heap_home(taddr_t addr, size_t cap)
{
	return (size_t)(((unsigned __int128)heap_hash(addr) * cap) >> 64);
}

static inline size_t heap_next(size_t i, size_t cap)
{
	return ++i == cap ? 0 : i;
}

/* Most entries a table of CAP slots may hold: 0.8 * CAP. */
static inline size_t heap_max_load(size_t cap)
{
	return cap * 4 / 5;
}

/* 2^k -> 1.5 * 2^k -> 2^(k+1) */
static size_t heap_next_capacity(size_t cap)
{
	if (cap < HEAP_MIN_CAPACITY)
		return HEAP_MIN_CAPACITY;
	if (!(cap & (cap - 1)))
		return cap + cap / 2;
	return cap / 3 * 4;
}

/* ---- one open-addressing array of ES-byte entries, addr first ---- */

static inline taddr_t ent_addr(const void *s, size_t es, size_t i)
{
	taddr_t a;

	memcpy(&a, (const unsigned char *)s + i * es, sizeof(a));
	return a;
}

static inline void *ent(void *s, size_t es, size_t i)
{
	return (unsigned char *)s + i * es;
}

/*
 * Index of ADDR in S (CAP entries), or NONE; then, if EMPTY is not NULL,
 * *EMPTY is the empty slot that ended the probe (NONE if CAP is 0).
 */
static inline size_t oa_find(const void *s, size_t cap, size_t es, taddr_t addr,
			     size_t *empty)
{
	size_t i;
	taddr_t a;

	if (empty)
		*empty = NONE;
	if (!cap)
		return NONE;
	/* the empty test comes first, so addr 0 is never found */
	for (i = heap_home(addr, cap); (a = ent_addr(s, es, i)) != 0;
	     i = heap_next(i, cap))
		if (a == addr)
			return i;
	if (empty)
		*empty = i;
	return NONE;
}

/* Put E, whose address is known to be absent, into S; S has room. */
static inline void oa_place(void *s, size_t cap, size_t es, const void *e)
{
	taddr_t addr;
	size_t i;

	memcpy(&addr, e, sizeof(addr));
	for (i = heap_home(addr, cap); ent_addr(s, es, i);
	     i = heap_next(i, cap))
		;
	memcpy(ent(s, es, i), e, es);
}

/* Empty slot HOLE of S, keeping every probe run whole. */
static void oa_remove_at(void *s, size_t cap, size_t es, size_t hole)
{
	taddr_t a;

	/*
	 * Backward shift: walk the run after the hole; an entry may fill the
	 * hole when the hole is no farther from its home than where it sits
	 * now, i.e. moving it keeps it inside its own probe run.
	 */
	for (size_t j = heap_next(hole, cap); (a = ent_addr(s, es, j)) != 0;
	     j = heap_next(j, cap)) {
		size_t home = heap_home(a, cap);
		size_t d_entry = j >= home ? j - home : j + cap - home;
		size_t d_hole = j >= hole ? j - hole : j + cap - hole;

		if (d_entry >= d_hole) {
			memcpy(ent(s, es, hole), ent(s, es, j), es);
			hole = j;
		}
	}
	memset(ent(s, es, hole), 0, es);
}

/* Give the whole pages of [BASE + FROM, BASE + TO) back to the kernel;
 * they read as zeros (empty entries) afterwards. */
static void release_pages(void *base, size_t from, size_t to)
{
	uintptr_t s = ((uintptr_t)base + from + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)base + to) & ~(uintptr_t)4095;

	if (e > s)
		madvise((void *)s, e - s, MADV_DONTNEED);
}

/* Grow *S (*CAP entries of ES bytes) to its next capacity. */
static void oa_grow(void **s, size_t *cap, size_t es)
{
	size_t ncap = heap_next_capacity(*cap), released = 0;
	void *old = *s, *ns = xcalloc(ncap, es);
	int give_back = *cap * es >= 4 * RELEASE_STEP;

	/*
	 * Old slots are in hash order (but for a wrapped run at the start),
	 * and so are the new homes: the writes below walk NS forward, and
	 * the pages of OLD already read are given back on the way.
	 */
	for (size_t i = 0; i < *cap; i++) {
		if (ent_addr(old, es, i))
			oa_place(ns, ncap, es, ent(old, es, i));
		if (give_back && (i + 1) * es - released >= RELEASE_STEP) {
			release_pages(old, released, (i + 1) * es);
			released = (i + 1) * es;
		}
	}
	free(old);
	*s = ns;
	*cap = ncap;
}

/* ---- the table ---- */

/* Whether a slot can hold B. */
static inline int slot_fits(const struct heap_block *b)
{
	if (b->size >= UINT32_MAX)
		return 0;
	if (!b->flags)
		return b->stack_id != HEAP_SLOT_PRE_ATTACH;
	return b->flags == HB_PRE_ATTACH && b->stack_id == 0;
}

static inline struct heap_slot to_slot(const struct heap_block *b)
{
	struct heap_slot s = {
	    .addr = b->addr,
	    .size = (uint32_t)b->size,
	    .stack = b->flags ? HEAP_SLOT_PRE_ATTACH : b->stack_id,
	};
	return s;
}

static inline struct heap_block from_slot(const struct heap_slot *s)
{
	struct heap_block b = {
	    .addr = s->addr,
	    .size = s->size,
	    .stack_id = s->stack == HEAP_SLOT_PRE_ATTACH ? 0 : s->stack,
	    .flags = s->stack == HEAP_SLOT_PRE_ATTACH ? HB_PRE_ATTACH : 0,
	};
	return b;
}

void heap_table_init(struct heap_table *t)
{
	memset(t, 0, sizeof(*t));
}

void heap_table_release(struct heap_table *t)
{
	free(t->slots);
	free(t->wide);
	heap_table_init(t);
}

static void *dup_array(const void *a, size_t n, size_t es)
{
	void *d;

	if (!n)
		return NULL;
	d = xmalloc(n * es);
	memcpy(d, a, n * es);
	return d;
}

void heap_table_copy(struct heap_table *dst, const struct heap_table *src)
{
	*dst = *src;
	dst->slots = dup_array(src->slots, src->capacity, ES_SLOT);
	dst->wide = dup_array(src->wide, src->wide_capacity, ES_WIDE);
}

/* Add B, known to be absent, to the wide array. */
static void wide_add(struct heap_table *t, const struct heap_block *b)
{
	if (t->nwide >= heap_max_load(t->wide_capacity))
		oa_grow((void **)&t->wide, &t->wide_capacity, ES_WIDE);
	oa_place(t->wide, t->wide_capacity, ES_WIDE, b);
	t->nwide++;
	t->count++;
}

int heap_table_insert(struct heap_table *t, const struct heap_block *b)
{
	int fits = slot_fits(b), ret = 0;
	size_t i, empty;

	BUG_ON(!b->addr);
	t->total_allocs++;
	t->total_bytes += b->size;
	i = oa_find(t->slots, t->capacity, ES_SLOT, b->addr, &empty);
	if (i != NONE) {
		if (fits) {
			t->slots[i] = to_slot(b);
			return 1;
		}
		oa_remove_at(t->slots, t->capacity, ES_SLOT, i);
		t->nslots--;
		t->count--;
		wide_add(t, b);
		return 1;
	}
	if (t->nwide) {
		i = oa_find(t->wide, t->wide_capacity, ES_WIDE, b->addr, NULL);
		if (i != NONE) {
			if (!fits) {
				t->wide[i] = *b;
				return 1;
			}
			oa_remove_at(t->wide, t->wide_capacity, ES_WIDE, i);
			t->nwide--;
			t->count--;
			ret = 1;
		}
	}
	if (!fits) {
		wide_add(t, b);
		return ret;
	}
	if (empty != NONE && t->nslots < heap_max_load(t->capacity)) {
		t->slots[empty] = to_slot(b);
	} else {
		struct heap_slot s = to_slot(b);

		oa_grow((void **)&t->slots, &t->capacity, ES_SLOT);
		oa_place(t->slots, t->capacity, ES_SLOT, &s);
	}
	t->nslots++;
	t->count++;
	return ret;
}

int heap_table_find(const struct heap_table *t, taddr_t addr,
		    struct heap_block *out)
{
	size_t i = oa_find(t->slots, t->capacity, ES_SLOT, addr, NULL);

	if (i != NONE) {
		if (out)
			*out = from_slot(&t->slots[i]);
		return 1;
	}
	if (!t->nwide)
		return 0;
	i = oa_find(t->wide, t->wide_capacity, ES_WIDE, addr, NULL);
	if (i == NONE)
		return 0;
	if (out)
		*out = t->wide[i];
	return 1;
}

int heap_table_remove(struct heap_table *t, taddr_t addr,
		      struct heap_block *out)
{
	size_t i = oa_find(t->slots, t->capacity, ES_SLOT, addr, NULL);

	if (i != NONE) {
		if (out)
			*out = from_slot(&t->slots[i]);
		oa_remove_at(t->slots, t->capacity, ES_SLOT, i);
		t->nslots--;
	} else {
		if (!t->nwide)
			return 0;
		i = oa_find(t->wide, t->wide_capacity, ES_WIDE, addr, NULL);
		if (i == NONE)
			return 0;
		if (out)
			*out = t->wide[i];
		oa_remove_at(t->wide, t->wide_capacity, ES_WIDE, i);
		t->nwide--;
	}
	t->count--;
	t->total_frees++;
	return 1;
}

/* ---- sorted arrays of blocks ---- */

static void insertion_sort(struct heap_block *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct heap_block v = a[i];
		size_t j = i;

		for (; j > 0 && a[j - 1].addr > v.addr; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/*
 * In-place MSD radix sort ("American flag sort", McIlroy, Bostic and
 * McIlroy 1993) on the byte of addr at SHIFT and those below it.  The
 * addresses are distinct, so it ends within 8 levels.
 */
static void flag_sort(struct heap_block *a, size_t n, unsigned shift)
{
	size_t count[256] = {0}, next[256], end[256], sum = 0;

	if (n <= 24) {
		insertion_sort(a, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		count[(a[i].addr >> shift) & 0xff]++;
	for (unsigned k = 0; k < 256; k++) {
		next[k] = sum;
		sum += count[k];
		end[k] = sum;
	}
	/* each element goes to the next free place in its bucket, the one it
	 * displaces goes on to its own, until one lands where it started */
	for (unsigned k = 0; k < 256; k++) {
		while (next[k] < end[k]) {
			struct heap_block v = a[next[k]];
			unsigned d;

			while ((d = (v.addr >> shift) & 0xff) != k) {
				struct heap_block w = a[next[d]];

				a[next[d]++] = v;
				v = w;
			}
			a[next[k]++] = v;
		}
	}
	if (!shift)
		return;
	for (size_t k = 0, at = 0; k < 256; at += count[k], k++)
		if (count[k] > 1)
			flag_sort(a + at, count[k], shift - 8);
}

void heap_blocks_sort(struct heap_block *a, size_t n)
{
	taddr_t diff = 0;
	unsigned shift = 0;

	for (size_t i = 1; i < n; i++)
		diff |= a[i].addr ^ a[0].addr;
	/* start at the highest byte in which the addresses differ */
	while (shift < 56 && diff >> (shift + 8))
		shift += 8;
	if (diff)
		flag_sort(a, n, shift);
}

struct heap_block *heap_table_snapshot(const struct heap_table *t, size_t *n)
{
	struct heap_block *a = xmalloc((t->count ? t->count : 1) * sizeof(*a));
	size_t k = 0;

	for (size_t i = 0; i < t->capacity; i++)
		if (t->slots[i].addr)
			a[k++] = from_slot(&t->slots[i]);
	for (size_t i = 0; i < t->wide_capacity; i++)
		if (t->wide[i].addr)
			a[k++] = t->wide[i];
	BUG_ON(k != t->count);
	heap_blocks_sort(a, k);
	*n = k;
	return a;
}

struct heap_block *heap_table_take(struct heap_table *t, size_t *n)
{
	size_t total = t->count, k = 0;
	unsigned char *a;
	struct heap_block *blocks;

	/* the slots to the front, in place */
	for (size_t i = 0; i < t->capacity; i++)
		if (t->slots[i].addr)
			t->slots[k++] = t->slots[i];
	BUG_ON(k != t->nslots);
	/* the same memory, resized (by mremap for a big array: no copy) to
	 * hold every block as a struct heap_block, widened from the end so
	 * that no slot is overwritten before it is read */
	a = xrealloc(t->slots, (total ? total : 1) * ES_WIDE);
	for (size_t i = k; i-- > 0;) {
		struct heap_slot s;
		struct heap_block b;

		memcpy(&s, a + i * ES_SLOT, ES_SLOT);
		b = from_slot(&s);
		memcpy(a + i * ES_WIDE, &b, ES_WIDE);
	}
	for (size_t i = 0; i < t->wide_capacity; i++)
		if (t->wide[i].addr)
			memcpy(a + k++ * ES_WIDE, &t->wide[i], ES_WIDE);
	BUG_ON(k != total);
	free(t->wide);
	t->slots = NULL;
	t->wide = NULL;
	t->capacity = t->wide_capacity = 0;
	t->nslots = t->nwide = t->count = 0;

	blocks = (struct heap_block *)a;
	heap_blocks_sort(blocks, total);
	*n = total;
	return blocks;
}

/* The arrays only: the struct itself belongs to the caller. */
size_t heap_table_memory(const struct heap_table *t)
{
	return t->capacity * ES_SLOT + t->wide_capacity * ES_WIDE;
}
