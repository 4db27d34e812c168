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
 * probability 1 - exp(-S / rate). */
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

/*
 * Walks the stack of the thread whose table entry is at ENTRY, from the
 * frame with PC, SP and RBP (just after the allocator's return), with
 * the thread's row lookup cache (none if ENTRY is not in the table), into
 * the ring slot's header SLOT (in D_HDR): S_NPCS return addresses at
 * S_STACK, at most FAST_HDR_PCS, S_LEN 0.
 * Returns how many, or 0 where the walk cannot be trusted (the tables
 * do not describe a frame, a read would leave the stack, the table was
 * being rewritten): the caller copies the stack instead; or -1 for a
 * call --sample-rate leaves without a stack (S_NPCS FAST_UNSAMPLED):
 * no walk, no copy.
 */
long lc_fast_walk(uint64_t data, uint64_t entry, uint64_t slot, uint64_t sp,
		  uint64_t rbp, uint64_t pc)
{
	const volatile struct cfitab_hdr *h =
		(const volatile struct cfitab_hdr *)(data + D_TABLE);
	uint64_t max = *(const volatile uint64_t *)(data + D_MAXPCS);
	uint64_t gen, rate;
	struct cfiwalk_stack st;
	struct cfiwalk_cache *cache = 0; /* the thread's (D_WCACHE) */
	int n, why;

	if (!max || max > FAST_HDR_PCS ||
	    S_STACK + max * 8 > *(const volatile uint64_t *)(data + D_HSTRIDE))
		return 0; /* (its header would not hold them) */
	rate = *(const volatile uint64_t *)(data + D_RATE);
	if (rate && !sampled(data, entry, rate)) {
		*(volatile uint64_t *)(slot + S_LEN) = 0;
		*(volatile uint64_t *)(slot + S_NPCS) = FAST_UNSAMPLED;
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
			   (uint64_t *)(slot + S_STACK), (int)max, &why,
			   cache, gen);
	__asm__ volatile("" ::: "memory");
	if (h->gen != gen || why == CFIWALK_FALLBACK || why == CFIWALK_OUT ||
	    n < 1)
		return 0;
	*(volatile uint64_t *)(slot + S_LEN) = 0;
	*(volatile uint64_t *)(slot + S_NPCS) = (uint64_t)n;
	return n;
}
