/*
 * test_cfitab: compact unwind tables and their walker.
 *
 *   - rows from hand-assembled .eh_frame bytes: a prologue's CFA steps,
 *     rbp saved, the CFA moved to rbp and back; an FDE with a CFA
 *     expression (a fallback from there on), one of a signal frame's CIE
 *     (all fallback), an undefined return address (the end); two FDEs
 *     back to back; a .debug_frame of the same program;
 *   - every prefix and 2,000 fixed-seed mutations of that section parse
 *     without a read outside it (ASan in check-asan) into sorted rows;
 *   - the walker on a synthetic stack and table: the frames, where it
 *     ends and why, and that a read just past the stack's end is refused
 *     (the stack is a malloc'd block of exactly its size); its row cache,
 *     also when walks are given up at any instruction;
 *   - this program's own stack walked with the table of its own process
 *     (/proc/self/maps, its files' .eh_frame) against glibc's backtrace()
 *     (libgcc's unwinder), frame by frame.
 */
#include <execinfo.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fast_layout.h"
#include "leakcheck/cfitab.h"
#include "leakcheck/types.h"
#include "leakcheck/util.h"

#if defined(__clang__)
#define NOIPA __attribute__((noinline, disable_tail_calls))
#else
#define NOIPA __attribute__((noipa))
#endif

/* ---- assembling CFI ---- */

struct buf {
	unsigned char b[512];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put1(struct buf *b, unsigned v)
{
	b->b[b->n++] = (unsigned char)v;
}

static void put4(struct buf *b, uint32_t v)
{
	put(b, &v, 4);
}

/* A CIE at B's end: augmentation AUG ("zR" or "zRS"), FDE pointers
 * pcrel|sdata4, code 1, data -8, RA 16, CFA = rsp + 8, RA at CFA - 8;
 * EH 0: a .debug_frame CIE (no augmentation, absolute pointers).
 * Returns its offset. */
static size_t cie(struct buf *b, const char *aug, int eh)
{
	size_t at = b->n, len_at;
	static const unsigned char insns[] = {0x0c, 7, 8, 0x90, 1};

	len_at = b->n;
	put4(b, 0);
	put4(b, eh ? 0 : 0xffffffffu);
	put1(b, 1);
	if (eh)
		put(b, aug, strlen(aug) + 1);
	else
		put1(b, 0);
	put1(b, 1);    /* code align */
	put1(b, 0x78); /* data align -8 */
	put1(b, 16);
	if (eh) {
		put1(b, 1);    /* augmentation data length */
		put1(b, 0x1b); /* pcrel | sdata4 */
	}
	put(b, insns, sizeof(insns));
	while ((b->n - len_at - 4) % 8)
		put1(b, 0);
	{
		uint32_t len = (uint32_t)(b->n - len_at - 4);
		memcpy(b->b + len_at, &len, 4);
	}
	return at;
}

/* An FDE for [START, START + RANGE) with instructions INS; SEC_ADDR is
 * the section's vaddr (pcrel pointers), CIE_AT its CIE's offset. */
static void fde(struct buf *b, int eh, uint64_t sec_addr, size_t cie_at,
		uint64_t start, uint32_t range, const unsigned char *ins,
		size_t nins)
{
	size_t len_at = b->n;

	put4(b, 0);
	if (eh) {
		put4(b, (uint32_t)(b->n - cie_at));
		put4(b, (uint32_t)(int32_t)(start - (sec_addr + b->n)));
		put4(b, range);
		put1(b, 0); /* augmentation data length */
	} else {
		put4(b, (uint32_t)cie_at);
		uint64_t s = start, r = range;
		put(b, &s, 8);
		put(b, &r, 8);
	}
	put(b, ins, nins);
	while ((b->n - len_at - 4) % 8)
		put1(b, 0);
	{
		uint32_t len = (uint32_t)(b->n - len_at - 4);
		memcpy(b->b + len_at, &len, 4);
	}
}

#define SEC_ADDR 0x2000

/* push %rbp at 0x1000; mov %rsp,%rbp at 0x1001; CFA on rbp from 0x1004;
 * leave at 0x1034: CFA rsp + 8 again */
static const unsigned char ins_fp[] = {
    0x41, 0x0e, 16, 0x86, 2, /* adv 1; def_cfa_offset 16; rbp at -16 */
    0x43, 0x0d, 6,	     /* adv 3; def_cfa_register rbp */
    0x70, 0x0c, 7,  8,	     /* adv 0x30; def_cfa rsp+8 */
};
/* adv 2; def_cfa_expression (2 bytes); */
static const unsigned char ins_expr[] = {0x42, 0x0f, 2, 0x77, 0x08};
/* nothing: CFA rsp + 8 all along */
static const unsigned char ins_none[] = {0};
/* RA undefined from the start */
static const unsigned char ins_end[] = {0x07, 16};

static size_t build_eh(struct buf *b)
{
	size_t c, cs;

	memset(b, 0, sizeof(*b));
	c = cie(b, "zR", 1);
	fde(b, 1, SEC_ADDR, c, 0x1000, 0x40, ins_fp, sizeof(ins_fp));
	fde(b, 1, SEC_ADDR, c, 0x1040, 0x10, ins_none, sizeof(ins_none));
	fde(b, 1, SEC_ADDR, c, 0x1100, 0x20, ins_expr, sizeof(ins_expr));
	cs = cie(b, "zRS", 1);
	fde(b, 1, SEC_ADDR, cs, 0x1200, 0x08, ins_none, sizeof(ins_none));
	fde(b, 1, SEC_ADDR, c, 0x1300, 0x08, ins_end, sizeof(ins_end));
	put4(b, 0); /* terminator */
	return b->n;
}

struct want {
	uint32_t addr;
	int kind, cfa_off, rbp, rbp_off;
};

static const struct want want_rows[] = {
    {0x1000, CFI_SP, 8, CFI_RBP_SAME, 0},
    {0x1001, CFI_SP, 16, CFI_RBP_AT, -16},
    {0x1004, CFI_BP, 16, CFI_RBP_AT, -16},
    {0x1034, CFI_SP, 8, CFI_RBP_AT, -16},
    /* 0x1040's FDE: CFA rsp + 8, rbp as is: a row of its own */
    {0x1040, CFI_SP, 8, CFI_RBP_SAME, 0},
    {0x1050, CFI_NONE, 0, 0, 0},
    {0x1100, CFI_SP, 8, CFI_RBP_SAME, 0},
    {0x1102, CFI_FALLBACK, 0, 0, 0},
    {0x1120, CFI_NONE, 0, 0, 0},
    {0x1200, CFI_FALLBACK, 0, 0, 0},
    {0x1208, CFI_NONE, 0, 0, 0},
    {0x1300, CFI_END, 0, 0, 0},
    {0x1308, CFI_NONE, 0, 0, 0},
};

static void check_rows(const struct cfitab_row *r, size_t n)
{
	CHECK_EQ_U(n, ARRAY_SIZE(want_rows));
	for (size_t i = 0; i < n && i < ARRAY_SIZE(want_rows); i++) {
		const struct want *w = &want_rows[i];
		CHECK_EQ_U(r[i].addr, w->addr);
		CHECK_EQ_U(r[i].kind, w->kind);
		if (w->kind == CFI_SP || w->kind == CFI_BP) {
			CHECK_EQ_U(r[i].cfa_off, w->cfa_off);
			CHECK_EQ_U(r[i].rbp, w->rbp);
			CHECK_EQ_U((unsigned)(r[i].rbp_off + 1000),
				   (unsigned)(w->rbp_off + 1000));
		}
	}
}

static void test_parse(void)
{
	struct buf b;
	struct cfitab_row *r;
	size_t n, len = build_eh(&b);

	n = cfitab_parse(b.b, len, SEC_ADDR, 1, &r);
	check_rows(r, n);
	free(r);
}

/* The same program as a .debug_frame (no 'S': the signal FDE is
 * left out, and so is its row pair). */
static void test_debug_frame(void)
{
	struct buf b;
	struct cfitab_row *r;
	size_t n, c;

	memset(&b, 0, sizeof(b));
	c = cie(&b, "", 0);
	fde(&b, 0, 0, c, 0x1000, 0x40, ins_fp, sizeof(ins_fp));
	fde(&b, 0, 0, c, 0x1300, 0x08, ins_end, sizeof(ins_end));
	n = cfitab_parse(b.b, b.n, 0, 0, &r);
	CHECK_EQ_U(n, 7);
	if (n == 7) {
		CHECK_EQ_U(r[2].addr, 0x1004);
		CHECK_EQ_U(r[2].kind, CFI_BP);
		CHECK_EQ_U(r[4].addr, 0x1040);
		CHECK_EQ_U(r[4].kind, CFI_NONE);
		CHECK_EQ_U(r[5].kind, CFI_END);
	}
	free(r);
}

static int sorted(const struct cfitab_row *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (r[i].addr <= r[i - 1].addr)
			return 0;
	return 1;
}

/* Prefixes and mutations: each parse reads only its own exact-size
 * copy (ASan catches a read past it) and gives sorted rows. */
static void test_malformed(void)
{
	struct buf b;
	size_t len = build_eh(&b);
	unsigned long long seed = 14;
	int bad = 0;

	for (size_t k = 0; k <= len; k++) {
		unsigned char *copy = xmalloc(k ? k : 1);
		struct cfitab_row *r;
		size_t n;
		memcpy(copy, b.b, k);
		n = cfitab_parse(copy, k, SEC_ADDR, 1, &r);
		bad += !sorted(r, n);
		free(r);
		free(copy);
	}
	for (int i = 0; i < 2000; i++) {
		unsigned char *copy = xmalloc(len);
		struct cfitab_row *r;
		size_t n;
		memcpy(copy, b.b, len);
		for (int m = 0; m < 1 + i % 4; m++)
			copy[check_rand(&seed) % len] =
			    (unsigned char)check_rand(&seed);
		n = cfitab_parse(copy, len, SEC_ADDR, 1, &r);
		bad += !sorted(r, n);
		free(r);
		free(copy);
	}
	CHECK_EQ_U(bad, 0);
}

/* ---- the walker on a synthetic stack ---- */

struct blob {
	struct cfitab_hdr h;
	struct cfitab_mod m;
	struct cfitab_row r[8];
};

/*
 * Module [0x400000, 0x410000), bias 0x300000 (rows at vaddrs 0x100000+):
 *   A 0x100000-0x100100: CFA rsp + 16 (a frame of 8 bytes)
 *   B 0x100100-0x100200: CFA rbp + 16, rbp saved at CFA - 16
 *   C 0x100200-0x100300: CFA rsp + 8
 *   D 0x100300-0x100400: the end (RA undefined)
 *   E 0x100400-0x100500: fallback
 */
static void make_blob(struct blob *b)
{
	static const struct cfitab_row rows[] = {
	    {0x100000, 16, 0, CFI_SP, CFI_RBP_SAME},
	    {0x100100, 16, -16, CFI_BP, CFI_RBP_AT},
	    {0x100200, 8, 0, CFI_SP, CFI_RBP_SAME},
	    {0x100300, 0, 0, CFI_END, 0},
	    {0x100400, 0, 0, CFI_FALLBACK, 0},
	    {0x100500, 0, 0, CFI_NONE, 0},
	};
	memset(b, 0, sizeof(*b));
	b->h.magic = CFITAB_MAGIC;
	b->h.nmods = 1;
	b->h.size = offsetof(struct blob, r) + sizeof(rows);
	b->m.lo = 0x400000;
	b->m.hi = 0x410000;
	b->m.bias = 0x300000;
	b->m.rows = offsetof(struct blob, r);
	b->m.nrows = ARRAY_SIZE(rows);
	memcpy(b->r, rows, sizeof(rows));
}

#define PC(vaddr) ((uint64_t)(vaddr) + 0x300000)
#define LO 0x7ff000

/*
 * A stack at LO of NW words, malloc'd at its exact size: frames
 *   A at PC(0x100010), sp = LO: [LO+8] = ret into B
 *   B: CFA = rbp + 16, rbp = LO+16: [LO+16] saved rbp, [LO+24] = ret into C
 *   C: CFA rsp + 8 = LO+40: [LO+32] = ret into LAST
 */
static uint64_t *make_stack(size_t nw, uint64_t last)
{
	uint64_t *s = xcalloc(nw, 8);
	s[1] = PC(0x100150);
	s[2] = 0x1234; /* the saved rbp */
	s[3] = PC(0x100250);
	if (nw > 4)
		s[4] = last;
	return s;
}

/* The table, the stack (malloc'd: caller frees) and the walk without
 * a cache (into REF, *NREF frames) that the cache tests walk again. */
static uint64_t *walk_ref(struct blob *b, struct cfiwalk_stack *st,
			  uint64_t *ref, int *nref)
{
	uint64_t *s = make_stack(5, PC(0x100350));
	int why;

	make_blob(b);
	*st = (struct cfiwalk_stack){(const unsigned char *)s, LO, LO + 40};
	*nref = cfiwalk(b, sizeof(*b), st, PC(0x100010), LO, LO + 16, ref, 16,
			&why);
	return s;
}

/* The row lookup cache: the walk is the same through it, cold and warm;
 * an entry is used for its pc only under its table's gen (a planted row
 * that ends the walk at A is taken under gen 7, not under gen 8); a
 * cache with a row for every frame needs no table at all. */
static void test_walk_cache(void)
{
	struct blob b;
	uint64_t pcs[16], ref[16], *s;
	struct cfiwalk_stack st;
	struct cfiwalk_cache *c = xcalloc(1, sizeof(*c));
	int n, nref, why;

	s = walk_ref(&b, &st, ref, &nref);
	CHECK_EQ_U(nref, 4);
	for (int round = 0; round < 2; round++) {
		n = cfiwalk_cached(&b, sizeof(b), &st, PC(0x100010), LO,
				   LO + 16, pcs, 16, &why, c, 7);
		CHECK_EQ_U(n, nref);
		CHECK_EQ_U(why, CFIWALK_END);
		CHECK(n == nref && !memcmp(pcs, ref, (size_t)n * 8));
	}
	/* every frame's row is in the cache now: a table that says nothing
	 * (no module) still walks the same under gen 7 */
	{
		struct blob empty = b;
		empty.h.nmods = 0;
		n = cfiwalk_cached(&empty, sizeof(empty), &st, PC(0x100010), LO,
				   LO + 16, pcs, 16, &why, c, 7);
		CHECK_EQ_U(n, nref);
		n = cfiwalk_cached(&empty, sizeof(empty), &st, PC(0x100010), LO,
				   LO + 16, pcs, 16, &why, c, 8);
		CHECK_EQ_U(n, 1);
		CHECK_EQ_U(why, CFIWALK_FALLBACK);
	}
	/* plant "the end" for A's pc under gen 7 */
	for (int i = 0; i < CFIWALK_CACHE_N; i++)
		if (c->e[i].pc == PC(0x100010)) {
			c->e[i].row.kind = CFI_END;
			c->e[i].gen = 7;
		}
	n = cfiwalk_cached(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs,
			   16, &why, c, 7);
	CHECK_EQ_U(n, 1);
	CHECK_EQ_U(why, CFIWALK_END);
	n = cfiwalk_cached(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs,
			   16, &why, c, 8);
	CHECK_EQ_U(n, nref);
	free(s);
	free(c);
}

static sigjmp_buf give_up;
static volatile sig_atomic_t walking;

static void on_alarm(int sig)
{
	(void)sig;
	if (walking)
		siglongjmp(give_up, 1);
}

/*
 * Walks given up half way, at whatever instruction a 20 us timer finds
 * them (the program's walk is: walk_abort, for a signal its thread is to
 * take), leave the row cache right: a walk after each, under the same
 * gen, is the whole walk.  Before each, every entry holds another pc
 * with a row that ends a walk, so that an entry keyed before its row is
 * written ends the walk after it.
 */
static void test_walk_cache_given_up(void)
{
	struct blob b;
	uint64_t pcs[16], ref[16], *s;
	struct cfiwalk_stack st;
	struct cfiwalk_cache *c = xcalloc(1, sizeof(*c));
	struct sigaction sa = {.sa_handler = on_alarm}, old_sa;
	struct itimerval it = {{0, 20}, {0, 20}}, off = {{0, 0}, {0, 0}};
	volatile unsigned long given_up = 0, wrong = 0, i;
	int n, nref, why;

	s = walk_ref(&b, &st, ref, &nref);
	sigaction(SIGALRM, &sa, &old_sa);
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < 20000000 && given_up < 1000; i++) {
		for (int k = 0; k < CFIWALK_CACHE_N; k++)
			c->e[k] = (struct cfiwalk_cache_ent){
			    .pc = k + 1, .gen = i, .row.kind = CFI_END};
		if (sigsetjmp(give_up, 1)) {
			walking = 0;
			given_up++;
			n = cfiwalk_cached(&b, sizeof(b), &st, PC(0x100010), LO,
					   LO + 16, pcs, 16, &why, c, i);
			wrong += n != nref || memcmp(pcs, ref, (size_t)n * 8);
			continue;
		}
		walking = 1;
		cfiwalk_cached(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16,
			       pcs, 16, &why, c, i);
		walking = 0;
	}
	walking = 0;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old_sa, NULL);
	CHECK(given_up > 0);
	CHECK_EQ_U(wrong, 0);
	free(s);
	free(c);
}

static void test_walk(void)
{
	struct blob b;
	uint64_t pcs[16], *s;
	struct cfiwalk_stack st;
	int n, why;

	make_blob(&b);
	/* ends at D */
	s = make_stack(5, PC(0x100350));
	st = (struct cfiwalk_stack){(const unsigned char *)s, LO, LO + 40};
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 4);
	CHECK_EQ_U(why, CFIWALK_END);
	if (n == 4) {
		CHECK_EQ_U(pcs[0], PC(0x100010));
		CHECK_EQ_U(pcs[1], PC(0x100150));
		CHECK_EQ_U(pcs[2], PC(0x100250));
		CHECK_EQ_U(pcs[3], PC(0x100350));
	}
	/* MAX */
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 2,
		    &why);
	CHECK_EQ_U(n, 2);
	CHECK_EQ_U(why, CFIWALK_MAX);
	/* a fallback frame, and one in no module */
	s[4] = PC(0x100450);
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 4);
	CHECK_EQ_U(why, CFIWALK_FALLBACK);
	s[4] = 0x999000;
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 4);
	CHECK_EQ_U(why, CFIWALK_FALLBACK);
	/* a return address 0 ends it */
	s[4] = 0;
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 3);
	CHECK_EQ_U(why, CFIWALK_END);
	/* a pc at the very start of A's successor: callers are looked up at
	 * ra - 1, so a return address at 0x100100 is still A's */
	s[4] = PC(0x100100);
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 5,
		    &why);
	/* A's row at 0x1000ff: CFA = LO+40+16, past the stack: OUT */
	CHECK_EQ_U(n, 4);
	CHECK_EQ_U(why, CFIWALK_OUT);
	free(s);

	/* the stack ends 8 bytes short of C's return address: refused,
	 * no read past the block (ASan) */
	s = make_stack(4, 0);
	st = (struct cfiwalk_stack){(const unsigned char *)s, LO, LO + 32};
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 3);
	CHECK_EQ_U(why, CFIWALK_OUT);
	/* rbp far outside: OUT at B */
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, 0xffffffffffff0000ull,
		    pcs, 16, &why);
	CHECK_EQ_U(n, 2);
	CHECK_EQ_U(why, CFIWALK_OUT);
	/* sp below the stack */
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO - 64, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 1);
	CHECK_EQ_U(why, CFIWALK_OUT);
	free(s);

	/* a table that is not one, or whose sizes lie */
	b.h.magic = 0;
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 1);
	CHECK_EQ_U(why, CFIWALK_FALLBACK);
	make_blob(&b);
	b.m.nrows = 1000;
	n = cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO + 16, pcs, 16,
		    &why);
	CHECK_EQ_U(n, 1);
	CHECK_EQ_U(why, CFIWALK_FALLBACK);
	/* max 0 */
	CHECK_EQ_U(
	    cfiwalk(&b, sizeof(b), &st, PC(0x100010), LO, LO, pcs, 0, &why), 0);
}

/* ---- this process's own stack against backtrace() ---- */

static uint64_t stack_hi(uint64_t sp)
{
	char line[512];
	uint64_t hi = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && sp >= s && sp < e)
			hi = e;
	}
	if (f)
		fclose(f);
	return hi;
}

static volatile int sink;

NOIPA static int self_f3(void)
{
	uint64_t pc, sp, rbp, pcs[32];
	void *bt[32];
	struct cfitab_proc *t;
	struct cfiwalk_stack st;
	const void *tab;
	size_t size;
	int n, nb, why, same = 1, skip;

/* the blob's walk of this frame's stack, for record 3 (HDR), as
 * thread 5 (ENTRY) */
#define WALK()                                                                 \
	blob_walk((uint64_t)(uintptr_t)blob_data, (uint64_t)(uintptr_t)entry,  \
		  (uint64_t)(uintptr_t)hdr, sp, rbp, pc)
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(pc), "=r"(sp), "=r"(rbp));
	nb = backtrace(bt, 32);
	t = cfitab_proc_new(getpid());
	tab = cfitab_proc_blob(t, &size);
	CHECK(size > sizeof(struct cfitab_hdr));
	st = (struct cfiwalk_stack){(const unsigned char *)(uintptr_t)sp, sp,
				    stack_hi(sp)};
	n = cfiwalk(tab, size, &st, pc, sp, rbp, pcs, 32, &why);
	/* pcs[0] is in self_f3, and so is bt[0] (after the call of
	 * backtrace), or bt[1] under ASan (its backtrace interceptor
	 * first); from there on both are the return addresses of the same
	 * frames */
	for (skip = 0; skip < nb && (uint64_t)(uintptr_t)bt[skip] != pcs[1];
	     skip++)
		;
	skip--;
	CHECK(n >= 5);
	CHECK(nb >= 5);
	CHECK(skip == 0 || skip == 1);
	for (int i = 1; i < n && skip >= 0 && i + skip < nb; i++)
		same &= pcs[i] == (uint64_t)(uintptr_t)bt[i + skip];
	CHECK(same);
	/* backtrace ends at _start as the walk does (its last entry) */
	CHECK_EQ_U(why, CFIWALK_END);
	CHECK_EQ_U(n + skip, nb);
	if (!same || n + skip != nb || why != CFIWALK_END)
		for (int i = 0; i < n || i < nb; i++)
			fprintf(stderr, "  %d: walk %#llx backtrace %p\n", i,
				i < n ? (unsigned long long)pcs[i] : 0ull,
				i < nb ? bt[i] : NULL);
	cfitab_proc_free(t);
	return sink;
}

NOIPA static int self_f2(void)
{
	return self_f3() + sink;
}

NOIPA static int self_f1(void)
{
	return self_f2() + sink;
}

static void test_self(void)
{
	sink += self_f1();
}

/* ---- the walk as the fast path places it in the program ---- */

extern const uint8_t lc_fast_blob[], lc_fast_blob_end[], lc_fast_walk_at[];

typedef long walk_fn(uint64_t data, uint64_t entry, uint64_t slot, uint64_t sp,
		     uint64_t rbp, uint64_t pc);

static walk_fn *blob_walk;
static unsigned char *blob_data;

NOIPA static int blob_f3(void)
{
	uint64_t pc, sp, rbp, *slot, *hdr, first[64];
	/* an entry of the thread table: the walk uses its row cache */
	uint64_t *entry =
	    (uint64_t *)(blob_data + D_THREADS + (5 << FAST_THR_SHIFT));
	struct cfitab_proc *t;
	const void *tab;
	size_t size;
	void *bt[32];
	long n;
	int nb, skip, same = 1;

/* the blob's walk of this frame's stack, for record 3 (HDR), as
 * thread 5 (ENTRY) */
#define WALK()                                                                 \
	blob_walk((uint64_t)(uintptr_t)blob_data, (uint64_t)(uintptr_t)entry,  \
		  (uint64_t)(uintptr_t)hdr, sp, rbp, pc)
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(pc), "=r"(sp), "=r"(rbp));
	nb = backtrace(bt, 32);
	t = cfitab_proc_new(getpid());
	tab = cfitab_proc_blob(t, &size);
	memcpy(blob_data + D_TABLE, tab, size);
	((struct cfitab_hdr *)(blob_data + D_TABLE))->gen = 2;
	entry[T_HI / 8] = stack_hi(sp);
	/* record 3's header and ring slot */
	hdr = (uint64_t *)(blob_data + D_HDR + (3 << FAST_HDR_SHIFT));
	slot = (uint64_t *)(blob_data + D_RING + (3 << FAST_SLOT_SHIFT));
	slot[S_LEN / 8] = 99;
	hdr[H_STK / 8] = 99;
	/* no stack table (D_DEDUP 0): the return addresses in the slot */
	n = WALK();
	for (skip = 0; skip < nb &&
		       (uint64_t)(uintptr_t)bt[skip] != slot[S_STACK / 8 + 1];
	     skip++)
		;
	skip--;
	CHECK(n >= 5);
	CHECK_EQ_U(hdr[H_STK / 8], 0);
	CHECK_EQ_U(slot[S_NPCS / 8], (unsigned long long)n);
	CHECK_EQ_U(slot[S_LEN / 8], 0);
	CHECK(skip == 0 || skip == 1);
	for (long i = 1; i < n && skip >= 0 && i + skip < nb; i++)
		same &=
		    slot[S_STACK / 8 + i] == (uint64_t)(uintptr_t)bt[i + skip];
	CHECK(same);
	CHECK_EQ_U(n + skip, nb);
	/* again, the rows from the thread's cache (D_WCACHE's sixth) */
	CHECK(n > 0 && n <= 32);
	memcpy(first, slot + S_STACK / 8, (size_t)n * 8);
	{
		uint64_t any = 0;
		const uint64_t *w =
		    (const uint64_t *)(blob_data + D_WCACHE +
				       (5 << FAST_WCACHE_SHIFT));
		for (int i = 0; i < (1 << FAST_WCACHE_SHIFT) / 8; i++)
			any |= w[i];
		CHECK(any != 0);
	}
	slot[S_NPCS / 8] = 0;
	CHECK_EQ_U(WALK(), (unsigned long long)n);
	CHECK(!memcmp(first, slot + S_STACK / 8, (size_t)n * 8));
	/* the stack table (D_DEDUP): the stack's id in the header, its
	 * words in the pool; the same stack again, the same id, nothing
	 * more taken from the pool */
	blob_data[D_DEDUP] = 1;
	slot[S_NPCS / 8] = 0;
	CHECK_EQ_U(WALK(), (unsigned long long)n);
	CHECK_EQ_U(slot[S_NPCS / 8], 0);
	{
		uint64_t id = hdr[H_STK / 8], top;
		const uint64_t *pool =
		    (const uint64_t *)(blob_data + D_STKPOOL);
		CHECK_EQ_U(STK_ID_N(id), (unsigned long long)n);
		CHECK_EQ_U(STK_ID_OFF(id), 0);
		CHECK(!memcmp(pool + STK_ID_OFF(id) + 1, first, (size_t)n * 8));
		memcpy(&top, blob_data + D_STKTOP, 8);
		CHECK_EQ_U(top, (unsigned long long)n + 1);
		hdr[H_STK / 8] = 0;
		CHECK_EQ_U(WALK(), (unsigned long long)n);
		CHECK_EQ_U(hdr[H_STK / 8], id);
		memcpy(&top, blob_data + D_STKTOP, 8);
		CHECK_EQ_U(top, (unsigned long long)n + 1);
		/* a full pool: the return addresses in the slot again */
		top = FAST_STKPOOL_W - 2;
		memcpy(blob_data + D_STKTOP, &top, 8);
		memset(blob_data + D_STKTAB, 0, FAST_STK_N * 8);
		CHECK_EQ_U(WALK(), (unsigned long long)n);
		CHECK_EQ_U(hdr[H_STK / 8], 0);
		CHECK_EQ_U(slot[S_NPCS / 8], (unsigned long long)n);
	}
	blob_data[D_DEDUP] = 0;
	/* the table being rewritten (gen odd): no walk */
	((struct cfitab_hdr *)(blob_data + D_TABLE))->gen = 3;
	slot[S_NPCS / 8] = 0;
	CHECK_EQ_U(WALK(), 0);
	CHECK_EQ_U(slot[S_NPCS / 8], 0);
	/* --sample-rate: malloc(100) with 1,000 bytes left to the next
	 * sample is not sampled (-1, no walk), 900 left; with 50 left it is,
	 * and the next interval comes from the pool */
	{
		uint64_t rate = 4096, pool0 = 777;
		((struct cfitab_hdr *)(blob_data + D_TABLE))->gen = 2;
		memcpy(blob_data + D_RATE, &rate, 8);
		memcpy(blob_data + D_SPOOL, &pool0, 8);
		entry[T_KIND / 8] = 0; /* HOOK_MALLOC */
		entry[T_A0 / 8] = 100;
		entry[T_LEFT / 8] = 1000;
		CHECK_EQ_U(WALK(), (unsigned long long)-1);
		CHECK_EQ_U(hdr[H_STK / 8], FAST_UNSAMPLED);
		CHECK_EQ_U(entry[T_LEFT / 8], 900);
		entry[T_LEFT / 8] = 50;
		CHECK_EQ_U(WALK(), (unsigned long long)n);
		CHECK_EQ_U(entry[T_LEFT / 8], 777);
		CHECK_EQ_U(*(uint64_t *)(blob_data + D_SIDX), 1);
		/* the pool's next is not drawn yet: the mean */
		entry[T_LEFT / 8] = 50;
		WALK();
		CHECK_EQ_U(entry[T_LEFT / 8], 4096);
		rate = 0;
		memcpy(blob_data + D_RATE, &rate, 8);
	}
	/* a stack that ends just above sp: no walk */
	((struct cfitab_hdr *)(blob_data + D_TABLE))->gen = 4;
	entry[T_HI / 8] = sp + 8;
	CHECK_EQ_U(WALK(), 0);
	cfitab_proc_free(t);
	return sink;
#undef WALK
}

NOIPA static int blob_f2(void)
{
	return blob_f3() + sink;
}

NOIPA static int blob_f1(void)
{
	return blob_f2() + sink;
}

/* The fast path's code (fast.S, with fastwalk.c in it) copied to an
 * executable mapping, and its walk called there on this thread's stack
 * with this process's table in a data mapping of the fast path's layout:
 * the return addresses are backtrace()'s. */
static void test_blob(void)
{
	size_t len = (size_t)(lc_fast_blob_end - lc_fast_blob);
	unsigned char *code =
	    mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t max = 31;

	blob_data = mmap(NULL, FAST_DATA_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(code != MAP_FAILED && blob_data != MAP_FAILED);
	if (code == MAP_FAILED || blob_data == MAP_FAILED)
		return;
	memcpy(code, lc_fast_blob, len);
	blob_walk =
	    (walk_fn *)(void *)(code + (lc_fast_walk_at - lc_fast_blob));
	memcpy(blob_data + D_MAXPCS, &max, sizeof(max));
	sink += blob_f1();
	munmap(code, len);
	munmap(blob_data, FAST_DATA_SIZE);
}

int main(void)
{
	test_parse();
	test_debug_frame();
	test_malformed();
	test_walk();
	test_walk_cache();
	test_walk_cache_given_up();
	test_self();
	test_blob();
	return check_done("test_cfitab");
}
