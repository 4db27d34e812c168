/*
 * walk: a stack walk with compact unwind tables (include/leakcheck/cfitab.h).
 *
 * Freestanding: no libc call, no lock, no global state, nothing but the
 * arguments is read or written; built with -ffreestanding (the Makefile
 * checks that the object has no undefined symbol), so that it can run in
 * a signal handler or in code placed in the traced program.
 *
 * Each step: find the module of the pc (binary search), its row
 * (binary search); the CFA is sp or rbp plus the row's offset; the
 * return address is the word at CFA - 8; the caller's rbp is the one we
 * have or the word at CFA + rbp_off; the caller's sp is the CFA.  The
 * first pc is looked up as it is, the callers' at ra - 1 (a return
 * address follows its call, which may be the last instruction of its
 * function), which is what libunwind does for frames that are not
 * signal frames; a signal frame is a fallback row, so the walk never
 * goes past one.
 *
 * Invariants: every stack read is of 8 bytes inside [lo, hi) of the
 * stack given; every table read is inside the size the caller gives
 * (and the header's, read once); the
 * walk ends (each step either moves sp up or ends it, or the same
 * pc and sp come twice and it ends).
 */
#define CFITAB_FREESTANDING 1
#include "leakcheck/cfitab.h"

/* A word at any alignment, read as one load (x86-64 is little-endian:
 * what the byte-by-byte loop this replaced computed, one load instead of
 * eight in the walk's every step). */
typedef uint64_t __attribute__((may_alias, aligned(1))) walk_u64;

/* The word at ADDR of S into *V, if all of it lies in [lo, hi). */
static int rd(const struct cfiwalk_stack *s, uint64_t addr, uint64_t *v)
{
	if (addr < s->lo || addr > s->hi || s->hi - addr < 8)
		return 0;
	*v = *(const walk_u64 *)(s->mem + (addr - s->lo));
	return 1;
}

/* The row for PC in TAB of SIZE bytes, or 0. */
static const struct cfitab_row *find_row(const unsigned char *tab,
					 uint64_t size, uint64_t pc)
{
	const struct cfitab_hdr *h = (const void *)tab;
	const struct cfitab_mod *mods, *m = 0;
	const struct cfitab_row *rows;
	uint64_t lo = 0, hi = h->nmods, vaddr, mrows, nrows;

	if (size < sizeof(*h) || (size - sizeof(*h)) / sizeof(*mods) < hi)
		return 0;
	mods = (const void *)(tab + sizeof(*h));
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (pc < mods[mid].lo) {
			hi = mid;
		} else if (pc >= mods[mid].hi) {
			lo = mid + 1;
		} else {
			m = &mods[mid];
			break;
		}
	}
	if (!m)
		return 0;
	mrows = m->rows, nrows = m->nrows; /* each read once */
	if (!nrows || mrows > size || (size - mrows) / sizeof(*rows) < nrows ||
	    mrows % 4)
		return 0;
	rows = (const void *)(tab + mrows);
	vaddr = pc - m->bias;
	if (vaddr < rows[0].addr || vaddr > 0xffffffffu)
		return 0;
	/* the last row whose addr <= vaddr */
	lo = 0, hi = nrows;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (rows[mid].addr <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	return &rows[lo];
}

/* The row for PC, through CACHE if there is one: a copy in *BUF. */
static const struct cfitab_row *lookup(const unsigned char *tab, uint64_t size,
				       uint64_t pc, struct cfiwalk_cache *cache,
				       uint64_t gen, struct cfitab_row *buf)
{
	struct cfiwalk_cache_ent *e;
	const struct cfitab_row *r;

	if (!cache)
		return find_row(tab, size, pc);
	e = &cache->e[(pc * 0x9e3779b97f4a7c15ull) >> 56 &
		      (CFIWALK_CACHE_N - 1)];
	if (pc && e->pc == pc && e->gen == gen) {
		*buf = e->row;
		return buf;
	}
	r = find_row(tab, size, pc);
	if (!r)
		return 0;
	*buf = *r; /* read once: the table may change under us */
	/*
	 * The entry's key last, and no key while its row is written: a walk
	 * can be given up at any instruction (walk_abort, for a signal the
	 * thread is to take) and the thread walks on later with what it left
	 * here.  Keyed first, an entry would give PC the row of the pc it
	 * had before: a wrong walk from PC until the entry was replaced.
	 */
	e->pc = 0;
	__asm__ volatile("" ::: "memory");
	e->row = *buf;
	e->gen = gen;
	__asm__ volatile("" ::: "memory");
	e->pc = pc;
	return buf;
}

int cfiwalk(const void *tab, uint64_t size, const struct cfiwalk_stack *stack,
	    uint64_t pc, uint64_t sp, uint64_t rbp, uint64_t *pcs, int max,
	    int *why)
{
	return cfiwalk_cached(tab, size, stack, pc, sp, rbp, pcs, max, why, 0,
			      0);
}

int cfiwalk_cached(const void *tab, uint64_t size,
		   const struct cfiwalk_stack *stack, uint64_t pc, uint64_t sp,
		   uint64_t rbp, uint64_t *pcs, int max, int *why,
		   struct cfiwalk_cache *cache, uint64_t gen)
{
	struct cfitab_row buf;
	const struct cfitab_hdr *h = tab;
	int n = 0, first = 1, rbp_ok = 1;

	*why = CFIWALK_MAX;
	if (max < 1)
		return 0;
	pcs[n++] = pc;
	if (!h || size < sizeof(*h) || h->magic != CFITAB_MAGIC) {
		*why = CFIWALK_FALLBACK;
		return n;
	}
	if (h->size < size)
		size = h->size; /* read once: it may change under us */
	while (n < max) {
		const struct cfitab_row *r =
		    lookup(tab, size, first ? pc : pc - 1, cache, gen, &buf);
		uint64_t cfa, ra, nrbp = rbp;

		if (!r || r->kind == CFI_NONE || r->kind == CFI_FALLBACK ||
		    (r->kind == CFI_BP && !rbp_ok) ||
		    (r->kind != CFI_SP && r->kind != CFI_BP &&
		     r->kind != CFI_END)) {
			*why = CFIWALK_FALLBACK;
			return n;
		}
		if (r->kind == CFI_END) {
			*why = CFIWALK_END;
			return n;
		}
		cfa = (r->kind == CFI_SP ? sp : rbp) +
		      (uint64_t)(int64_t)r->cfa_off;
		if (!rd(stack, cfa - 8, &ra)) {
			*why = CFIWALK_OUT;
			return n;
		}
		if (r->rbp == CFI_RBP_AT) {
			if (!rd(stack, cfa + (uint64_t)(int64_t)r->rbp_off,
				&nrbp)) {
				*why = CFIWALK_OUT;
				return n;
			}
		} else if (r->rbp == CFI_RBP_LOST) {
			rbp_ok = 0;
		}
		if (!ra) {
			*why = CFIWALK_END;
			return n;
		}
		if (ra == pc && cfa == sp) {
			*why = CFIWALK_LOOP;
			return n;
		}
		pcs[n++] = ra;
		pc = ra;
		sp = cfa;
		rbp = nrbp;
		first = 0;
	}
	return n;
}
