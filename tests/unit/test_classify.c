/*
 * test_classify: the classifier on synthetic heaps.
 *
 * Memory is a few byte arrays at fake tracee addresses behind a read
 * callback.  Small hand-built graphs check each rule; a 100k-block random
 * graph is checked against a slow, straightforward reference of the same
 * rules (valgrind memcheck's).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "leakcheck/scan.h"
#include "leakcheck/util.h"

#define HEAP 0x100000ull
#define ROOT 0x800000ull

/* ---- fake memory ---- */

struct region {
	taddr_t addr;
	size_t len;
	uint8_t *data;
};

static struct {
	struct region r[16];
	size_t nr;
	unsigned long reads;
	bool all_or_nothing; /* fail a read that is not wholly readable */
} mem;

static void mem_reset(void)
{
	for (size_t i = 0; i < mem.nr; i++)
		free(mem.r[i].data);
	memset(&mem, 0, sizeof(mem));
}

static uint8_t *mem_map(taddr_t addr, size_t len)
{
	struct region *r = &mem.r[mem.nr++];
	r->addr = addr;
	r->len = len;
	r->data = xcalloc(len, 1);
	return r->data;
}

static struct region *mem_find(taddr_t a)
{
	for (size_t i = 0; i < mem.nr; i++)
		if (a >= mem.r[i].addr && a - mem.r[i].addr < mem.r[i].len)
			return &mem.r[i];
	return NULL;
}

static long mem_read(void *ctx, taddr_t addr, void *buf, size_t len)
{
	size_t done = 0;

	(void)ctx;
	mem.reads++;
	while (done < len) {
		taddr_t a = addr + done;
		struct region *r = mem_find(a);
		size_t n;
		if (!r)
			break;
		n = r->addr + r->len - a;
		if (n > len - done)
			n = len - done;
		memcpy((char *)buf + done, r->data + (a - r->addr), n);
		done += n;
	}
	if (!done || (mem.all_or_nothing && done < len))
		return -EFAULT;
	return (long)done;
}

static void poke(taddr_t addr, uint64_t v)
{
	struct region *r = mem_find(addr);
	BUG_ON(!r || addr + 8 - r->addr > r->len);
	memcpy(r->data + (addr - r->addr), &v, 8);
}

static uint64_t peek(taddr_t addr, bool *ok)
{
	uint64_t v = 0;
	*ok = mem_read(NULL, addr, &v, 8) == 8;
	mem.reads--;
	return v;
}

static struct scan_block blk(taddr_t addr, uint64_t size)
{
	struct scan_block b;
	memset(&b, 0, sizeof(b));
	b.addr = addr;
	b.size = size;
	return b;
}

/* The results of the last run() besides kind and heuristic. */
static struct {
	uint32_t *clique;
	size_t cap;
	struct scan_clique *cliques;
	size_t ncliques;
	bool no_clique; /* run without asking for clique[] */
} last;

static struct scan_stats run(struct scan_block *b, size_t n,
			     const struct scan_range *roots, size_t nroots,
			     const taddr_t *words, size_t nwords,
			     unsigned flags)
{
	struct scan_input in = {
	    .blocks = b,
	    .nblocks = n,
	    .roots = roots,
	    .nroots = nroots,
	    .root_words = words,
	    .nroot_words = nwords,
	    .read = mem_read,
	    .read_ctx = NULL,
	    .flags = flags,
	};
	struct scan_stats st;

	last.clique =
	    xgrow(last.clique, &last.cap, n + 1, sizeof(*last.clique));
	memset(last.clique, 0xee, n * sizeof(*last.clique));
	in.clique = last.no_clique ? NULL : last.clique;
	free(last.cliques);
	scan_classify(&in, &st);
	last.cliques = in.cliques;
	last.ncliques = in.ncliques;
	/* the cliques: sorted, each with something in it, each a leader
	 * that is definitely lost */
	for (size_t k = 0; k < last.ncliques; k++) {
		CHECK(!k ||
		      last.cliques[k - 1].leader < last.cliques[k].leader);
		CHECK(last.cliques[k].blocks > 0);
		CHECK(last.cliques[k].leader < n &&
		      b[last.cliques[k].leader].kind == LEAK_DEFINITE);
	}
	return st;
}

/* Of the last run(): block I's clique and indirect totals. */
static uint32_t clique_of(size_t i)
{
	return last.clique[i];
}

static uint64_t ind_bytes(size_t i)
{
	const struct scan_clique *c =
	    scan_clique_find(last.cliques, last.ncliques, i);
	return c ? c->bytes : 0;
}

static uint64_t ind_blocks(size_t i)
{
	const struct scan_clique *c =
	    scan_clique_find(last.cliques, last.ncliques, i);
	return c ? c->blocks : 0;
}

/* one root page at ROOT and a heap at HEAP */
static const struct scan_range root_page = {.start = ROOT,
					    .end = ROOT + 0x1000};

static void setup(void)
{
	mem_reset();
	mem_map(HEAP, 0x10000);
	mem_map(ROOT, 0x1000);
}

/* ---- hand-built graphs ---- */

static void test_find_block(void)
{
	struct scan_block b[] = {blk(0x1000, 16), blk(0x1010, 0),
				 blk(0x1020, 8), blk(0x2000, 100)};
	size_t n = ARRAY_SIZE(b);

	CHECK_EQ_U(scan_find_block(b, 0, 0x1000), (unsigned long long)-1);
	CHECK_EQ_U(scan_find_block(b, n, 0xfff), (unsigned long long)-1);
	CHECK_EQ_U(scan_find_block(b, n, 0x1000), 0);
	CHECK_EQ_U(scan_find_block(b, n, 0x100f), 0);
	CHECK_EQ_U(scan_find_block(b, n, 0x1010), 1); /* size 0: its start */
	CHECK_EQ_U(scan_find_block(b, n, 0x1011), (unsigned long long)-1);
	CHECK_EQ_U(scan_find_block(b, n, 0x1027), 2);
	CHECK_EQ_U(scan_find_block(b, n, 0x1028), (unsigned long long)-1);
	CHECK_EQ_U(scan_find_block(b, n, 0x2063), 3);
	CHECK_EQ_U(scan_find_block(b, n, 0x2064), (unsigned long long)-1);
	CHECK_EQ_U(scan_find_block(b, n, ~0ull), (unsigned long long)-1);
	CHECK_EQ_U(scan_find_block(b, 1, 0x1010), (unsigned long long)-1);
}

static void test_empty(void)
{
	struct scan_stats st;

	setup();
	poke(ROOT, 0x1234);
	st = run(NULL, 0, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(st.root_bytes, 0);
	CHECK_EQ_U(st.unreadable, 0);
}

static void test_direct_leak(void)
{
	struct scan_block b[] = {blk(HEAP + 0x10, 32)};
	struct scan_stats st;

	setup();
	st = run(b, 1, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(clique_of(0), 0);
	CHECK_EQ_U(ind_bytes(0), 0);
	CHECK_EQ_U(ind_blocks(0), 0);
	CHECK_EQ_U(st.root_bytes, 0x1000);
	CHECK_EQ_U(st.heap_bytes, 32);
	CHECK_EQ_U(st.unreadable, 0);
}

static void test_reachable_root(void)
{
	struct scan_block b[] = {blk(HEAP + 0x10, 32), blk(HEAP + 0x40, 32)};

	setup();
	poke(ROOT + 0x100, HEAP + 0x40);
	run(b, 2, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(b[1].kind, LEAK_REACHABLE);
	CHECK_EQ_U(clique_of(1), 1);
}

static void test_reachable_register(void)
{
	struct scan_block b[] = {blk(HEAP + 0x10, 32), blk(HEAP + 0x40, 32)};
	taddr_t regs[] = {0, 42, HEAP + 0x10, HEAP + 0x48};

	setup();
	run(b, 2, NULL, 0, regs, ARRAY_SIZE(regs), 0);
	CHECK_EQ_U(b[0].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[1].kind, LEAK_POSSIBLE);
}

static void test_interior_only(void)
{
	struct scan_block b[] = {blk(HEAP + 0x10, 32)};

	setup();
	poke(ROOT + 8, HEAP + 0x10 + 31);  /* last byte */
	poke(ROOT + 16, HEAP + 0x10 + 32); /* one past: not a pointer */
	run(b, 1, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_POSSIBLE);

	setup();
	poke(ROOT + 16, HEAP + 0x10 + 32);
	run(b, 1, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
}

static void test_chain(void)
{
	/* root -> A -> B -> C(interior) */
	struct scan_block b[] = {blk(HEAP + 0x10, 32), blk(HEAP + 0x40, 32),
				 blk(HEAP + 0x70, 32)};

	setup();
	poke(ROOT, HEAP + 0x40);
	poke(HEAP + 0x40 + 8, HEAP + 0x10);
	poke(HEAP + 0x10 + 24, HEAP + 0x70 + 4);
	run(b, 3, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[1].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[0].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[2].kind, LEAK_POSSIBLE);
}

static void test_lost_chain(void)
{
	/* lost A -> B -> C(interior): A definite, B and C indirect */
	struct scan_block b[] = {blk(HEAP + 0x10, 40), blk(HEAP + 0x50, 24),
				 blk(HEAP + 0x80, 100)};

	setup();
	poke(HEAP + 0x10, HEAP + 0x50);
	poke(HEAP + 0x50 + 16, HEAP + 0x80 + 50);
	run(b, 3, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(ind_bytes(0), 124);
	CHECK_EQ_U(ind_blocks(0), 2);
	CHECK_EQ_U(b[1].kind, LEAK_INDIRECT);
	CHECK_EQ_U(clique_of(1), 0);
	CHECK_EQ_U(b[2].kind, LEAK_INDIRECT);
	CHECK_EQ_U(clique_of(2), 0);
	CHECK_EQ_U(ind_bytes(1), 0);
}

static void test_lost_cycle(void)
{
	/* B -> C -> A -> B, all lost: the lowest (A) leads */
	struct scan_block b[] = {blk(HEAP + 0x10, 16), blk(HEAP + 0x30, 16),
				 blk(HEAP + 0x50, 16)};

	setup();
	poke(HEAP + 0x30, HEAP + 0x50);
	poke(HEAP + 0x50, HEAP + 0x10);
	poke(HEAP + 0x10, HEAP + 0x30);
	run(b, 3, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(ind_bytes(0), 32);
	CHECK_EQ_U(ind_blocks(0), 2);
	CHECK_EQ_U(b[1].kind, LEAK_INDIRECT);
	CHECK_EQ_U(b[2].kind, LEAK_INDIRECT);
	CHECK_EQ_U(clique_of(1), 0);
	CHECK_EQ_U(clique_of(2), 0);
}

static void test_clique_merge(void)
{
	/*
	 * X(low) -> Y, Z(high) -> X, W(higher) -> Z: X leads {Y} first,
	 * then Z takes X's clique, then W takes Z's.  One clique under W.
	 */
	struct scan_block b[] = {blk(HEAP + 0x10, 16), blk(HEAP + 0x30, 24),
				 blk(HEAP + 0x50, 40), blk(HEAP + 0x80, 8)};

	setup();
	poke(HEAP + 0x10, HEAP + 0x30);	    /* X -> Y */
	poke(HEAP + 0x50 + 8, HEAP + 0x10); /* Z -> X */
	poke(HEAP + 0x80, HEAP + 0x50 + 3); /* W -> Z (interior) */
	run(b, 4, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[3].kind, LEAK_DEFINITE);
	CHECK_EQ_U(ind_bytes(3), 16 + 24 + 40);
	CHECK_EQ_U(ind_blocks(3), 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_U(b[i].kind, LEAK_INDIRECT);
		CHECK_EQ_U(clique_of(i), 3);
		CHECK_EQ_U(ind_bytes(i), 0);
		CHECK_EQ_U(ind_blocks(i), 0);
	}

	/* two leaders pointing at one child: the first one gets it */
	struct scan_block c[] = {blk(HEAP + 0x10, 16), blk(HEAP + 0x30, 16),
				 blk(HEAP + 0x50, 16)};
	setup();
	poke(HEAP + 0x10, HEAP + 0x50);
	poke(HEAP + 0x30, HEAP + 0x50);
	run(c, 3, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(c[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(ind_bytes(0), 16);
	CHECK_EQ_U(c[1].kind, LEAK_DEFINITE);
	CHECK_EQ_U(ind_bytes(1), 0);
	CHECK_EQ_U(c[2].kind, LEAK_INDIRECT);
	CHECK_EQ_U(clique_of(2), 0);
}

static void test_possible_child(void)
{
	/* root -interior-> P -start-> C: C is only possible */
	struct scan_block b[] = {blk(HEAP + 0x10, 32), blk(HEAP + 0x40, 32)};

	setup();
	poke(ROOT, HEAP + 0x10 + 8);
	poke(HEAP + 0x10 + 16, HEAP + 0x40);
	run(b, 2, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(b[1].kind, LEAK_POSSIBLE);
}

static void test_upgrade(void)
{
	/*
	 * root -interior-> P -start-> A -start-> B and root -> R -> S -> A:
	 * in one of the two root orders A is scanned first as possible (B
	 * possible), then S makes A reachable, and A's rescan makes B
	 * reachable.
	 */
	struct scan_block b[] = {
	    blk(HEAP + 0x10, 32), /* P */
	    blk(HEAP + 0x40, 32), /* R */
	    blk(HEAP + 0x70, 32), /* A */
	    blk(HEAP + 0xa0, 32), /* S */
	    blk(HEAP + 0xd0, 32), /* B */
	};
	struct scan_stats st;

	for (int order = 0; order < 2; order++) {
		setup();
		poke(ROOT + 8 * order, HEAP + 0x10 + 8);
		poke(ROOT + 8 * !order, HEAP + 0x40);
		poke(HEAP + 0x10, HEAP + 0x70);
		poke(HEAP + 0x40, HEAP + 0xa0);
		poke(HEAP + 0xa0, HEAP + 0x70);
		poke(HEAP + 0x70, HEAP + 0xd0);
		st = run(b, 5, &root_page, 1, NULL, 0, 0);
		CHECK_EQ_U(b[0].kind, LEAK_POSSIBLE);
		CHECK_EQ_U(b[1].kind, LEAK_REACHABLE);
		CHECK_EQ_U(b[2].kind, LEAK_REACHABLE);
		CHECK_EQ_U(b[3].kind, LEAK_REACHABLE);
		CHECK_EQ_U(b[4].kind, LEAK_REACHABLE);
		CHECK_EQ_U(st.heap_bytes, 5 * 32); /* each block read once */
	}
}

static void test_unreadable_root(void)
{
	struct scan_block b[] = {blk(HEAP + 0x10, 32), blk(HEAP + 0x40, 32)};
	/* [ROOT, ROOT + 0x3000): only the first page is mapped; and an
	 * unaligned range: only whole aligned words count */
	struct scan_range r[] = {{.start = ROOT, .end = ROOT + 0x3000},
				 {.start = 0x900003, .end = 0x900003 + 0x2000}};
	struct scan_stats st;

	for (int aon = 0; aon < 2; aon++) {
		setup();
		mem.all_or_nothing = aon;
		poke(ROOT + 0xff8, HEAP + 0x40);
		st = run(b, 2, r, 2, NULL, 0, 0);
		CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
		CHECK_EQ_U(b[1].kind, LEAK_REACHABLE);
		CHECK_EQ_U(st.root_bytes, 0x1000);
		CHECK_EQ_U(st.unreadable, 0x2000 + 0x2000 - 8);
	}

	/* a read callback failing with -errno is skipped the same way */
	setup();
	poke(ROOT + 0x10, HEAP + 0x10);
	struct scan_range r2[] = {{.start = 0x500000, .end = 0x500000 + 0x1800},
				  {.start = ROOT, .end = ROOT + 0x20}};
	st = run(b, 2, r2, 2, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_REACHABLE);
	CHECK_EQ_U(st.unreadable, 0x1800);
	CHECK_EQ_U(st.root_bytes, 0x20);
}

static void test_unreadable_block(void)
{
	/* a 3-page block whose middle page is unmapped */
	struct scan_block b[] = {blk(HEAP + 0x10, 16), blk(HEAP + 0x30, 16),
				 blk(0x400010, 0x3000 - 0x20)};
	struct scan_stats st;

	setup();
	mem_map(0x400000, 0x1000);
	mem_map(0x402000, 0x1000);
	poke(ROOT, 0x400010);
	poke(0x402ff0 - 8, HEAP + 0x30);
	st = run(b, 3, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[2].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(b[1].kind, LEAK_REACHABLE);
	CHECK_EQ_U(st.unreadable, 0x1000);
	CHECK_EQ_U(st.heap_bytes, 0x3000 - 0x20 - 0x1000 + 32);
}

static void test_big(void)
{
	/* a 300 KB block and a 200 KB root range: read in chunks */
	const uint64_t big = 300 * 1024;
	struct scan_block b[] = {blk(HEAP + 0x10, 16), blk(HEAP + 0x30, 16),
				 blk(0x10000010, big)};
	struct scan_range r = {.start = 0x20000000,
			       .end = 0x20000000 + 200 * 1024};
	struct scan_stats st;

	setup();
	mem_map(0x10000000, big + 0x20);
	mem_map(0x20000000, 200 * 1024);
	poke(0x20000000 + 200 * 1024 - 8, 0x10000010 + 1000);
	poke(0x10000010 + big - 8, HEAP + 0x30);
	st = run(b, 3, &r, 1, NULL, 0, 0);
	CHECK_EQ_U(b[2].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(b[1].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(st.root_bytes, 200 * 1024);
	CHECK_EQ_U(st.heap_bytes, big + 32);
	CHECK(mem.reads < 20);
}

static void test_glibc_chunks(void)
{
	/*
	 * glibc chunks: user pointer = chunk + 16, next chunk header at
	 * chunk + chunksize.  malloc(24): chunksize 32, the next header is
	 * at user + 16, inside the block.  malloc(40): chunksize 48, next
	 * header at user + 32.  malloc(8): chunksize 32, next header at
	 * user + 16, outside the block anyway.
	 */
	struct scan_block b[] = {blk(HEAP + 0x10, 24), blk(HEAP + 0x30, 40),
				 blk(HEAP + 0x60, 56), blk(HEAP + 0xa0, 8),
				 blk(HEAP + 0xc0, 24)};

	for (int flag = 0; flag < 2; flag++) {
		setup();
		poke(ROOT, HEAP + 0x10 + 16);	   /* next header of b0 */
		poke(ROOT + 8, HEAP + 0x30 + 32);  /* next header of b1 */
		poke(ROOT + 16, HEAP + 0x60 + 48); /* next header of b2 */
		poke(ROOT + 24, HEAP + 0xa0 + 4);
		poke(ROOT + 32, HEAP + 0xc0 + 8); /* not a header */
		run(b, 5, &root_page, 1, NULL, 0, flag ? SCAN_GLIBC_CHUNKS : 0);
		unsigned want = flag ? LEAK_DEFINITE : LEAK_POSSIBLE;
		CHECK_EQ_U(b[0].kind, want);
		CHECK_EQ_U(b[1].kind, want);
		CHECK_EQ_U(b[2].kind, want);
		CHECK_EQ_U(b[3].kind, LEAK_POSSIBLE);
		CHECK_EQ_U(b[4].kind, LEAK_POSSIBLE);
	}

	/* the filter holds for clique gathering too */
	setup();
	poke(HEAP + 0x30, HEAP + 0x10 + 16);
	run(b, 2, &root_page, 1, NULL, 0, SCAN_GLIBC_CHUNKS);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(b[1].kind, LEAK_DEFINITE);
	CHECK_EQ_U(ind_bytes(1), 0);
	run(b, 2, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_INDIRECT);
	CHECK_EQ_U(ind_bytes(1), 24);
}

static void test_zero_size(void)
{
	struct scan_block b[] = {blk(HEAP + 0x10, 0), blk(HEAP + 0x30, 0),
				 blk(HEAP + 0x50, 0)};
	struct scan_stats st;

	setup();
	poke(ROOT, HEAP + 0x10);
	poke(ROOT + 8, HEAP + 0x30 + 1);
	poke(HEAP + 0x10, HEAP + 0x50); /* contents: not scanned */
	st = run(b, 3, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[1].kind, LEAK_DEFINITE);
	CHECK_EQ_U(b[2].kind, LEAK_DEFINITE);
	CHECK_EQ_U(st.heap_bytes, 0);

	/* a block shorter than a word has no word to scan */
	struct scan_block c[] = {blk(HEAP + 0x10, 7), blk(HEAP + 0x30, 16)};
	setup();
	poke(HEAP + 0x10, HEAP + 0x30);
	run(c, 2, &root_page, 1, NULL, 0, 0);
	CHECK_EQ_U(c[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(c[1].kind, LEAK_DEFINITE);
}

static void test_heuristics(void)
{
	struct scan_block b[] = {
	    blk(HEAP + 0x10, 24 + 10 + 1),  /* std::string, capacity 10 */
	    blk(HEAP + 0x40, 8 + 100),	    /* length64 */
	    blk(HEAP + 0xc0, 8 + 4 * 12),   /* new[] of 4 x 12 bytes */
	    blk(HEAP + 0x100, 8 + 50),	    /* count 7 does not divide 50 */
	    blk(HEAP + 0x140, 24 + 10 + 1), /* length > capacity */
	};
	taddr_t ptrs[] = {HEAP + 0x10 + 24, HEAP + 0x40 + 8, HEAP + 0xc0 + 8,
			  HEAP + 0x100 + 8, HEAP + 0x140 + 24};

	setup();
	poke(HEAP + 0x10, 5);
	poke(HEAP + 0x18, 10);
	poke(HEAP + 0x40, 100);
	poke(HEAP + 0xc0, 4);
	poke(HEAP + 0x100, 7);
	poke(HEAP + 0x140, 11);
	poke(HEAP + 0x148, 10);
	for (size_t i = 0; i < ARRAY_SIZE(ptrs); i++)
		poke(ROOT + 8 * i, ptrs[i]);

	run(b, 5, &root_page, 1, NULL, 0, 0);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ_U(b[i].kind, LEAK_POSSIBLE);
		CHECK_EQ_U(b[i].heuristic, SCAN_HEUR_NONE);
	}
	run(b, 5, &root_page, 1, NULL, 0, SCAN_HEURISTICS);
	CHECK_EQ_U(b[0].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[0].heuristic, SCAN_HEUR_STDSTRING);
	CHECK_EQ_U(b[1].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[1].heuristic, SCAN_HEUR_LENGTH64);
	CHECK_EQ_U(b[2].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[2].heuristic, SCAN_HEUR_NEWARRAY);
	CHECK_EQ_U(b[3].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(b[3].heuristic, SCAN_HEUR_NONE);
	CHECK_EQ_U(b[4].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(b[4].heuristic, SCAN_HEUR_NONE);

	/* a later start-pointer to a heuristically reachable block clears
	 * the heuristic (registers are scanned after root memory) */
	taddr_t reg = HEAP + 0x40;
	run(b, 5, &root_page, 1, &reg, 1, SCAN_HEURISTICS);
	CHECK_EQ_U(b[1].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[1].heuristic, SCAN_HEUR_NONE);

	/* from a possible block, a heuristic pointer makes only possible
	 * (and valgrind leaves the heuristic set) */
	setup();
	struct scan_block c[] = {blk(HEAP + 0x10, 32), blk(HEAP + 0x40, 108)};
	poke(ROOT, HEAP + 0x10 + 8);
	poke(HEAP + 0x10, HEAP + 0x40 + 8);
	poke(HEAP + 0x40, 100);
	run(c, 2, &root_page, 1, NULL, 0, SCAN_HEURISTICS);
	CHECK_EQ_U(c[0].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(c[1].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(c[1].heuristic, SCAN_HEUR_LENGTH64);

	/* heuristics play no part in cliques: lost A -> B+8 */
	setup();
	poke(HEAP + 0x10, HEAP + 0x40 + 8);
	poke(HEAP + 0x40, 100);
	run(c, 2, &root_page, 1, NULL, 0, SCAN_HEURISTICS);
	CHECK_EQ_U(c[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(c[1].kind, LEAK_INDIRECT);
	CHECK_EQ_U(c[1].heuristic, SCAN_HEUR_NONE);
}

/* ---- random graph against a reference ---- */

static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	return check_rand(&rng_state);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t chunksize(uint64_t n)
{
	uint64_t c = (n + 8 + 15) & ~15ull;
	return c < 32 ? 32 : c;
}

enum { E_START, E_HEUR, E_INTERIOR };

struct ref_edges {
	uint32_t *to;
	uint8_t *kind;
	size_t n, cap, cap2;
};

static void edge_add(struct ref_edges *e, uint32_t to, uint8_t kind)
{
	e->to = xgrow(e->to, &e->cap, e->n + 1, sizeof(*e->to));
	e->kind = xgrow(e->kind, &e->cap2, e->n + 1, sizeof(*e->kind));
	e->to[e->n] = to;
	e->kind[e->n++] = kind;
}

static long ref_find(const struct scan_block *b, size_t n, taddr_t p)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint64_t len = b[mid].size ? b[mid].size : 1;
		if (p < b[mid].addr)
			hi = mid;
		else if (p >= b[mid].addr + len)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

static int ref_heuristic(const struct scan_block *b, taddr_t p)
{
	bool ok0, ok1;
	uint64_t w0 = peek(b->addr, &ok0), w1 = peek(b->addr + 8, &ok1);
	if (p == b->addr + 24)
		return ok0 && ok1 && 24 + w1 + 1 == b->size && w0 <= w1;
	if (p == b->addr + 8)
		return ok0 && w0 > 0 &&
		       (b->size - 8 == w0 || (b->size - 8) % w0 == 0);
	return 0;
}

/* Add the edge for word P, if it is one. */
static void ref_word(const struct scan_block *b, size_t n, taddr_t p,
		     unsigned flags, struct ref_edges *e)
{
	long t = ref_find(b, n, p);
	if (t < 0)
		return;
	if (p == b[t].addr) {
		edge_add(e, (uint32_t)t, E_START);
		return;
	}
	if ((flags & SCAN_GLIBC_CHUNKS) &&
	    p == b[t].addr - 16 + chunksize(b[t].size))
		return;
	if ((flags & SCAN_HEURISTICS) && ref_heuristic(&b[t], p))
		edge_add(e, (uint32_t)t, E_HEUR);
	else
		edge_add(e, (uint32_t)t, E_INTERIOR);
}

static uint64_t ref_readable, ref_unreadable;

static void ref_scan(const struct scan_block *b, size_t n, taddr_t s,
		     taddr_t end, unsigned flags, struct ref_edges *e)
{
	for (taddr_t a = (s + 7) & ~7ull; a + 8 <= end; a += 8) {
		bool ok;
		uint64_t w = peek(a, &ok);
		if (ok)
			ref_word(b, n, w, flags, e);
		*(ok ? &ref_readable : &ref_unreadable) += 8;
	}
}

struct ref_result {
	uint8_t *kind;
	uint32_t *clique;
	uint64_t *ind_bytes, *ind_blocks;
	uint64_t root_bytes, heap_bytes, unreadable;
};

/*
 * The rules, the plain way: edges first; Reachable = closure of the
 * roots' start edges over start edges of Reachable blocks; Possible =
 * everything else reached by any edge; then cliques by a walk from each
 * unreached block in address order, with totals summed per final leader.
 */
static void ref_classify(const struct scan_block *b, size_t n,
			 const struct scan_range *roots, size_t nroots,
			 const taddr_t *words, size_t nwords, unsigned flags,
			 struct ref_result *res)
{
	struct ref_edges root = {0};
	struct ref_edges *out = xcalloc(n, sizeof(*out));
	uint8_t *st = xcalloc(n, 1); /* 0 unreached 1 possible 2 reach 3 ind */
	uint32_t *stack = xmalloc(n * sizeof(*stack));
	uint32_t *owner = xmalloc(n * sizeof(*owner));
	size_t top = 0;

	ref_readable = ref_unreadable = 0;
	for (size_t r = 0; r < nroots; r++)
		ref_scan(b, n, roots[r].start, roots[r].end, flags, &root);
	res->root_bytes = ref_readable;
	ref_readable = 0;
	for (size_t w = 0; w < nwords; w++)
		ref_word(b, n, words[w], flags, &root);
	for (size_t i = 0; i < n; i++)
		ref_scan(b, n, b[i].addr, b[i].addr + b[i].size, flags,
			 &out[i]);
	res->heap_bytes = ref_readable;
	res->unreadable = ref_unreadable;

	/* reachable */
	for (size_t k = 0; k < root.n; k++)
		if (root.kind[k] != E_INTERIOR && st[root.to[k]] != 2) {
			st[root.to[k]] = 2;
			stack[top++] = root.to[k];
		}
	while (top) {
		uint32_t i = stack[--top];
		for (size_t k = 0; k < out[i].n; k++)
			if (out[i].kind[k] != E_INTERIOR &&
			    st[out[i].to[k]] != 2) {
				st[out[i].to[k]] = 2;
				stack[top++] = out[i].to[k];
			}
	}
	/* possible: anything else reached */
	for (size_t k = 0; k < root.n; k++)
		if (!st[root.to[k]]) {
			st[root.to[k]] = 1;
			stack[top++] = root.to[k];
		}
	for (size_t i = 0; i < n; i++)
		if (st[i] == 2)
			stack[top++] = (uint32_t)i;
	while (top) {
		uint32_t i = stack[--top];
		for (size_t k = 0; k < out[i].n; k++)
			if (!st[out[i].to[k]]) {
				st[out[i].to[k]] = 1;
				stack[top++] = out[i].to[k];
			}
	}
	/* cliques */
	for (size_t l = 0; l < n; l++) {
		if (st[l])
			continue;
		stack[top++] = (uint32_t)l;
		while (top) {
			uint32_t i = stack[--top];
			for (size_t k = 0; k < out[i].n; k++) {
				uint32_t t = out[i].to[k];
				if (st[t] || t == l)
					continue;
				st[t] = 3;
				owner[t] = (uint32_t)l;
				stack[top++] = t;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		static const uint8_t kinds[] = {LEAK_DEFINITE, LEAK_POSSIBLE,
						LEAK_REACHABLE, LEAK_INDIRECT};
		uint32_t c = (uint32_t)i;
		res->kind[i] = kinds[st[i]];
		while (st[c] == 3)
			c = owner[c];
		res->clique[i] = c;
		res->ind_bytes[i] = 0;
		res->ind_blocks[i] = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (st[i] == 3) {
			res->ind_bytes[res->clique[i]] += b[i].size;
			res->ind_blocks[res->clique[i]]++;
		}

	for (size_t i = 0; i < n; i++) {
		free(out[i].to);
		free(out[i].kind);
	}
	free(out);
	free(root.to);
	free(root.kind);
	free(st);
	free(stack);
	free(owner);
}

/* A random value for a heap word: mostly noise, sometimes a pointer of
 * some kind to a random block. */
static uint64_t random_word(const struct scan_block *b, size_t n,
			    unsigned ptr_permille)
{
	const struct scan_block *t = &b[below(n)];
	uint64_t r = below(1000);

	if (r >= ptr_permille) {
		switch (below(64)) {
		case 0: /* in the heap span, maybe in a gap */
			return b[0].addr + below(b[n - 1].addr - b[0].addr);
		case 1:
		case 2:
			return rnd();
		case 3:
		case 4:
		case 5:
			return below(100000);
		default:
			return 0;
		}
	}
	switch (below(10)) {
	case 0:
	case 1:
		return t->addr + below(t->size ? t->size : 1); /* interior */
	case 2:
		return t->addr - 16 + chunksize(t->size); /* next header */
	case 3:
		return t->addr + (below(2) ? 8 : 24);
	default:
		return t->addr;
	}
}

static void test_random(size_t n, unsigned ptr_permille, unsigned flags,
			bool aon)
{
	struct scan_block *b = xcalloc(n, sizeof(*b));
	struct ref_result ref = {
	    .kind = xmalloc(n),
	    .clique = xmalloc(n * sizeof(uint32_t)),
	    .ind_bytes = xmalloc(n * sizeof(uint64_t)),
	    .ind_blocks = xmalloc(n * sizeof(uint64_t)),
	};
	taddr_t base = 0x10000000, cur = base, hole_lo, hole_hi;
	struct scan_range roots[3];
	taddr_t regs[16];
	struct scan_stats st;
	unsigned long bad = 0;

	mem_reset();
	mem.all_or_nothing = aon;
	/* lay out glibc-like chunks, with gaps; a few big blocks */
	for (size_t i = 0; i < n; i++) {
		uint64_t r = below(1000), size;
		if (r < 50)
			size = 0;
		else if (r < 600)
			size = below(64);
		else if (r < 999)
			size = 64 + below(400);
		else
			size = 1000 + below(100000);
		if (below(20) == 0)
			cur += 16 * below(300);
		b[i].addr = cur + 16;
		b[i].size = size;
		cur += chunksize(size);
	}
	/* the heap, with an unmapped hole of a few pages in the middle */
	hole_lo = (base + (cur - base) / 2) & ~0xfffull;
	hole_hi = hole_lo + 0x3000;
	uint8_t *lo = mem_map(base, hole_lo - base);
	uint8_t *hi = mem_map(hole_hi, cur + 64 - hole_hi);
	for (size_t i = 0; i < n; i++) {
		for (uint64_t off = 0; off + 8 <= b[i].size; off += 8) {
			taddr_t a = b[i].addr + off;
			uint64_t v = random_word(b, n, ptr_permille);
			if (a + 8 <= hole_lo)
				memcpy(lo + (a - base), &v, 8);
			else if (a >= hole_hi)
				memcpy(hi + (a - hole_hi), &v, 8);
		}
		/* heuristic shapes now and then */
		if (b[i].size >= 16 && below(20) == 0) {
			uint64_t w[2];
			switch (below(3)) {
			case 0:
				w[1] = b[i].size >= 25 ? b[i].size - 25 : 0;
				w[0] = below(w[1] + 2);
				break;
			case 1:
				w[0] = b[i].size - 8;
				w[1] = 0;
				break;
			default:
				w[0] = 1 + below(8);
				w[1] = 0;
				break;
			}
			if (b[i].addr + 16 <= hole_lo)
				memcpy(lo + (b[i].addr - base), w, 16);
			else if (b[i].addr >= hole_hi)
				memcpy(hi + (b[i].addr - hole_hi), w, 16);
		}
	}
	/* roots: a data page, a partly unmapped range, registers */
	uint8_t *data = mem_map(0x600000, 0x4000);
	for (int k = 0; k < 300; k++) {
		uint64_t v = random_word(b, n, 600);
		memcpy(data + 8 * below(0x4000 / 8), &v, 8);
	}
	roots[0] = (struct scan_range){.start = 0x600000, .end = 0x604000};
	roots[1] = (struct scan_range){.start = 0x5fe000 + 3, .end = 0x600100};
	roots[2] = (struct scan_range){.start = base, .end = base}; /* empty */
	for (size_t k = 0; k < ARRAY_SIZE(regs); k++)
		regs[k] = random_word(b, n, 500);

	ref_classify(b, n, roots, 3, regs, ARRAY_SIZE(regs), flags, &ref);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = run(b, n, roots, 3, regs, ARRAY_SIZE(regs), flags);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	size_t count[LEAK_NKINDS] = {0};
	for (size_t i = 0; i < n; i++) {
		count[b[i].kind < LEAK_NKINDS ? b[i].kind : 0]++;
		if (b[i].kind != ref.kind[i] || clique_of(i) != ref.clique[i] ||
		    ind_bytes(i) != ref.ind_bytes[i] ||
		    ind_blocks(i) != ref.ind_blocks[i]) {
			if (bad++ < 5)
				fprintf(stderr,
					"block %zu: kind %u/%u clique %u/%u "
					"ind %llu/%llu %llu/%llu\n",
					i, b[i].kind, ref.kind[i], clique_of(i),
					ref.clique[i],
					(unsigned long long)ind_bytes(i),
					(unsigned long long)ref.ind_bytes[i],
					(unsigned long long)ind_blocks(i),
					(unsigned long long)ref.ind_blocks[i]);
		}
	}
	CHECK_EQ_U(bad, 0);

	/* without clique[], the same kinds and totals */
	uint8_t *kind = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		kind[i] = b[i].kind;
	last.no_clique = true;
	run(b, n, roots, 3, regs, ARRAY_SIZE(regs), flags);
	last.no_clique = false;
	bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += b[i].kind != kind[i] ||
		       ind_bytes(i) != ref.ind_bytes[i] ||
		       ind_blocks(i) != ref.ind_blocks[i];
	CHECK_EQ_U(bad, 0);
	free(kind);

	/* the graph must exercise every kind */
	for (int k = 0; k < LEAK_NKINDS; k++)
		CHECK(count[k] > 0);
	CHECK_EQ_U(st.root_bytes, 0x4000 + 0x100);
	CHECK_EQ_U(ref.root_bytes, 0x4000 + 0x100);
	CHECK_EQ_U(st.heap_bytes, ref.heap_bytes);
	CHECK_EQ_U(st.unreadable, ref.unreadable);
	CHECK(ref.unreadable > 0x2000); /* some block lies in the hole */
	if (getenv("VERBOSE"))
		printf("random n=%zu p=%u flags=%u: D %zu I %zu P %zu R %zu, "
		       "%lu reads, %llu heap bytes, %.3f s\n",
		       n, ptr_permille, flags, count[0], count[1], count[2],
		       count[3], mem.reads, (unsigned long long)st.heap_bytes,
		       (double)(t1.tv_sec - t0.tv_sec) +
			   (t1.tv_nsec - t0.tv_nsec) / 1e9);

	free(b);
	free(ref.kind);
	free(ref.clique);
	free(ref.ind_bytes);
	free(ref.ind_blocks);
}

int main(void)
{
	test_find_block();
	test_empty();
	test_direct_leak();
	test_reachable_root();
	test_reachable_register();
	test_interior_only();
	test_chain();
	test_lost_chain();
	test_lost_cycle();
	test_clique_merge();
	test_possible_child();
	test_upgrade();
	test_unreadable_root();
	test_unreadable_block();
	test_big();
	test_glibc_chunks();
	test_zero_size();
	test_heuristics();

	/* mostly lost, then mostly reached */
	test_random(100000, 8, 0, false);
	test_random(100000, 8, SCAN_GLIBC_CHUNKS | SCAN_HEURISTICS, false);
	test_random(100000, 30, SCAN_HEURISTICS, true);
	test_random(100000, 100, SCAN_GLIBC_CHUNKS, false);
	test_random(100000, 100, SCAN_GLIBC_CHUNKS | SCAN_HEURISTICS, true);
	test_random(2000, 60, SCAN_GLIBC_CHUNKS | SCAN_HEURISTICS, true);

	mem_reset();
	free(last.clique);
	free(last.cliques);
	return check_done("classify");
}
