/*
 * fastwalk: the stack walk the fast path's recorder (fast.S) makes in the
 * traced program, at the return of a recorded allocator call: the return
 * addresses go into the ring slot instead of a copy of the stack.
 *
 * Not linked into leakcheck: the Makefile compiles this file, with the
 * walker itself (src/unwind/walk.c, included below: one translation
 * unit, so that the assembler labels of the two do not collide), to
 * assembly, position-independent and freestanding, and fast.S includes
 * that in the code it copies into the program.  So: no libc, no data of
 * its own (no globals, no constants outside the code), no lock; it reads
 * only the fast path's data mapping and the thread's stack between sp
 * and the end leakcheck registered for it.
 *
 * The table lies in the data mapping at D_TABLE, rewritten by leakcheck
 * when modules come and go, as a seqlock: leakcheck first makes the
 * header's gen odd, then writes the rows and modules, then the header
 * with an even gen.  A walk that saw an odd gen, or another gen at its
 * end than at its start, is not trusted: the recorder falls back to the
 * stack copy.  Every value the walker reads from the table is
 * bounds-checked against the table's room in the mapping
 * (FAST_TABLE_MAX), so a walk that races a rewrite reads garbage at
 * worst, never outside the mapping.
 */
#include "fast_layout.h"

#define cfiwalk lc_fast_cfiwalk
#define cfiwalk_cached lc_fast_cfiwalk_cached
#include "walk.c"

long lc_fast_walk(uint64_t data, uint64_t entry, uint64_t slot, uint64_t sp,
		  uint64_t rbp, uint64_t pc);

/* The next sampling interval from the pool (D_SPOOL), or RATE itself,
 * the mean, if leakcheck has not drawn that one yet. */
static uint64_t next_interval(uint64_t data, uint64_t rate)
{
	uint64_t i = __atomic_fetch_add((uint64_t *)(data + D_SIDX), 1,
					__ATOMIC_RELAXED);
	uint64_t v = *(const volatile uint64_t *)(data + D_SPOOL +
						  (i % FAST_SPOOL_N) * 8);
	return v ? v : rate;
}

/* --sample-rate: is the call in the thread's entry ENTRY sampled (a byte
 * countdown: leakcheck's sampler_take)?  An allocation of S bytes is with
 * probability 1 - exp(-S / rate).  The size is hooks.c's sampled_size,
 * written again here (this code cannot call leakcheck's); the kinds'
 * numbers are checked against enum hook_kind in fast.c. */
static int sampled(uint64_t data, uint64_t entry, uint64_t rate)
{
	volatile uint64_t *e = (volatile uint64_t *)entry;
	uint64_t a0 = e[T_A0 / 8], a1 = e[T_A1 / 8], a2 = e[T_A2 / 8];
	uint64_t size, left = e[T_LEFT / 8];

	switch (e[T_KIND / 8]) {
	case FAST_KIND_CALLOC:
		size = __builtin_mul_overflow(a0, a1, &size) ? ~0ull : size;
		break;
	case FAST_KIND_REALLOCARRAY:
		size = __builtin_mul_overflow(a1, a2, &size) ? ~0ull : size;
		break;
	case FAST_KIND_REALLOC:
	case FAST_KIND_MEMALIGN:
		size = a1;
		break;
	default: /* malloc, valloc, pvalloc */
		size = a0;
	}
	if (!left)
		left = next_interval(data, rate);
	if (size < left) {
		e[T_LEFT / 8] = left - size;
		return 0;
	}
	e[T_LEFT / 8] = next_interval(data, rate);
	return 1;
}

/* The id of the stack PCS[0..N) in the stack table (fast_layout.h),
 * entered if it is not there yet; 0 where there is no room. */
static uint64_t stack_id(uint64_t data, const uint64_t *pcs, int n)
{
	volatile uint64_t *tab = (volatile uint64_t *)(data + D_STKTAB);
	volatile uint64_t *pool = (volatile uint64_t *)(data + D_STKPOOL);
	uint64_t h = 0x9e3779b97f4a7c15ull * (uint64_t)n;

	for (int i = 0; i < n; i++) {
		h = (h ^ pcs[i]) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	for (int probe = 0; probe < FAST_STK_PROBES; probe++) {
		uint64_t *b = (uint64_t *)&tab[(h + (uint64_t)probe) &
					      (FAST_STK_N - 1)];
		uint64_t v = *(volatile uint64_t *)b, off;
		int i;

		if (!v) {
			off = __atomic_fetch_add((uint64_t *)(data + D_STKTOP),
						 (uint64_t)n + 1,
						 __ATOMIC_RELAXED);
			if (off > FAST_STKPOOL_W - (uint64_t)n - 1)
				return 0; /* the pool is full */
			pool[off] = h;
			for (i = 0; i < n; i++)
				pool[off + 1 + (uint64_t)i] = pcs[i];
			v = (uint64_t)n << 32 | (off + 1);
			{
				uint64_t want = 0;
				if (__atomic_compare_exchange_n(
					b, &want, v, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
					return v;
				v = want; /* another thread's, just now */
			}
		}
		if (STK_ID_N(v) != (uint64_t)n)
			continue;
		off = STK_ID_OFF(v);
		if (off > FAST_STKPOOL_W - (uint64_t)n - 1 || pool[off] != h)
			continue;
		for (i = 0; i < n && pool[off + 1 + (uint64_t)i] == pcs[i]; i++)
			;
		if (i == n)
			return v;
	}
	return 0;
}

/*
 * Walks the stack of the thread whose table entry is at ENTRY, from the
 * frame with PC, SP and RBP (just after the allocator's return), with
 * the thread's row lookup cache (none if ENTRY is not in the table), for
 * the record whose header is at HDR (in D_HDR): its H_STK is the
 * stack's id in the stack table (D_DEDUP), or 0 with the return
 * addresses in the record's ring slot (S_NPCS of them at S_STACK,
 * S_LEN 0), at most D_MAXPCS.
 * Returns how many, or 0 where the walk cannot be trusted (the tables
 * do not describe a frame, a read would leave the stack, the table was
 * being rewritten): the caller copies the stack instead; or -1 for a
 * call --sample-rate leaves without a stack (H_STK FAST_UNSAMPLED): no
 * walk, no copy.
 */
long lc_fast_walk(uint64_t data, uint64_t entry, uint64_t hdr, uint64_t sp,
		  uint64_t rbp, uint64_t pc)
{
	const volatile struct cfitab_hdr *h =
		(const volatile struct cfitab_hdr *)(data + D_TABLE);
	uint64_t max = *(const volatile uint64_t *)(data + D_MAXPCS);
	volatile uint64_t *hd = (volatile uint64_t *)hdr, *ring;
	uint64_t gen, rate, pcs[FAST_HDR_PCS], id;
	struct cfiwalk_stack st;
	struct cfiwalk_cache *cache = 0; /* the thread's (D_WCACHE) */
	int n, why;

	if (!max || max > FAST_HDR_PCS)
		return 0;
	rate = *(const volatile uint64_t *)(data + D_RATE);
	if (rate && !sampled(data, entry, rate)) {
		hd[H_STK / 8] = FAST_UNSAMPLED;
		return -1;
	}
	gen = h->gen;
	if (gen & 1)
		return 0;
	__asm__ volatile("" ::: "memory");
	st.mem = (const unsigned char *)sp;
	st.lo = sp;
	st.hi = *(const volatile uint64_t *)(entry + T_HI);
	if (entry - (data + D_THREADS) < (uint64_t)FAST_THR_N
						 << FAST_THR_SHIFT)
		cache = (struct cfiwalk_cache *)(data + D_WCACHE +
						 ((entry - (data + D_THREADS)) >>
						  FAST_THR_SHIFT
						  << FAST_WCACHE_SHIFT));
	n = cfiwalk_cached((const void *)h, FAST_TABLE_MAX, &st, pc, sp, rbp,
			   pcs, (int)max, &why, cache, gen);
	__asm__ volatile("" ::: "memory");
	if (h->gen != gen || why == CFIWALK_FALLBACK || why == CFIWALK_OUT ||
	    n < 1)
		return 0;
	if (*(const volatile unsigned char *)(data + D_DEDUP) &&
	    (id = stack_id(data, pcs, n))) {
		hd[H_STK / 8] = id;
		return n;
	}
	ring = (volatile uint64_t *)(data + D_RING +
				     ((hdr - (data + D_HDR)) >> FAST_HDR_SHIFT
				      << FAST_SLOT_SHIFT));
	for (int i = 0; i < n; i++)
		ring[S_STACK / 8 + i] = pcs[i];
	ring[S_LEN / 8] = 0;
	ring[S_NPCS / 8] = (uint64_t)n;
	hd[H_STK / 8] = 0;
	return n;
}
