/*
 * test_holders: holder chains and retained sizes on synthetic heaps.
 *
 * Hand-built graphs (chains, a diamond, a cycle, interior pointers, a
 * register root, a stack root, a lost list) check exact chains, offsets
 * and retained sizes; random graphs check the dominators against a
 * brute-force reference (take a node away, see what S no longer reaches)
 * and every link against memory (the word at the holder's offset points
 * where the link says).  Then the text and JSON reports of one graph,
 * with a fake symbolizer: the "held by" lines and the top holders.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "leakcheck/depot.h"
#include "leakcheck/report.h"
#include "leakcheck/scan.h"
#include "leakcheck/sym.h"
#include "leakcheck/target.h"
#include "leakcheck/util.h"

#define HEAP 0x100000ull
#define ROOT 0x800000ull
#define STACK 0x900000ull

/* ---- fake memory: a heap, a data page, a stack page ---- */

static uint8_t heap[0x40000], rootp[0x1000], stackp[0x1000];

static uint8_t *mem_at(taddr_t a, size_t *avail)
{
	if (a >= HEAP && a - HEAP < sizeof(heap)) {
		*avail = sizeof(heap) - (a - HEAP);
		return heap + (a - HEAP);
	}
	if (a >= ROOT && a - ROOT < sizeof(rootp)) {
		*avail = sizeof(rootp) - (a - ROOT);
		return rootp + (a - ROOT);
	}
	if (a >= STACK && a - STACK < sizeof(stackp)) {
		*avail = sizeof(stackp) - (a - STACK);
		return stackp + (a - STACK);
	}
	return NULL;
}

static long mem_read(void *ctx, taddr_t addr, void *buf, size_t len)
{
	size_t avail;
	uint8_t *p = mem_at(addr, &avail);

	(void)ctx;
	if (!p)
		return -EFAULT;
	if (len > avail)
		len = avail;
	memcpy(buf, p, len);
	return (long)len;
}

static void poke(taddr_t addr, uint64_t v)
{
	size_t avail;
	uint8_t *p = mem_at(addr, &avail);

	BUG_ON(!p || avail < 8);
	memcpy(p, &v, 8);
}

static uint64_t peek(taddr_t addr)
{
	size_t avail;
	uint8_t *p = mem_at(addr, &avail);
	uint64_t v;

	BUG_ON(!p || avail < 8);
	memcpy(&v, p, 8);
	return v;
}

static void setup(void)
{
	memset(heap, 0, sizeof(heap));
	memset(rootp, 0, sizeof(rootp));
	memset(stackp, 0, sizeof(stackp));
}

static struct scan_block blk(taddr_t addr, uint64_t size)
{
	struct scan_block b;
	memset(&b, 0, sizeof(b));
	b.addr = addr;
	b.size = size;
	return b;
}

static const struct scan_range data_root = {ROOT, ROOT + 0x1000, ROOT_DATA, 0,
					    "/bin/prog"};
static const struct scan_range stack_root = {STACK, STACK + 0x1000, ROOT_STACK,
					     42, NULL};

static struct scan_holders H;

static void run(struct scan_block *b, size_t n, const struct scan_range *roots,
		size_t nroots, const taddr_t *words, size_t nwords,
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
	    .flags = flags,
	    .holders = &H,
	};

	scan_holders_release(&H);
	scan_classify(&in, NULL);
	free(in.cliques);
}

/* CHAIN of block I, as a string: "h0 1 2" (hit 0, block 1, block 2). */
static const char *chain_str(size_t i)
{
	static char buf[256];
	uint32_t c[16];
	size_t len = scan_holders_chain(&H, i, c, 16), at = 0;

	buf[0] = 0;
	for (size_t k = 0; k < len && k < 16; k++)
		at += (size_t)snprintf(
		    buf + at, sizeof(buf) - at, "%s%s%u", k ? " " : "",
		    c[k] & SCAN_HOLDER_HIT ? "h" : "", c[k] & ~SCAN_HOLDER_HIT);
	return buf;
}

/* ---- hand-built graphs ---- */

/* global +0x10 -> A; A+16 -> B; B+8 -> C */
static void test_chain(void)
{
	struct scan_block b[] = {blk(HEAP + 0x100, 64), blk(HEAP + 0x200, 32),
				 blk(HEAP + 0x300, 16)};

	setup();
	poke(ROOT + 0x10, HEAP + 0x100);
	poke(HEAP + 0x110, HEAP + 0x200);
	poke(HEAP + 0x208, HEAP + 0x300);
	run(b, 3, &data_root, 1, NULL, 0, 0);
	CHECK_EQ_U(b[2].kind, LEAK_REACHABLE);
	CHECK_STR(chain_str(2), "h0 0 1 2");
	CHECK_STR(chain_str(0), "h0 0");
	CHECK_EQ_U(H.nhits, 1);
	CHECK_EQ_U(H.hits[0].root, 0);
	CHECK_EQ_U(H.hits[0].off, 0x10);
	CHECK_EQ_U(H.hits[0].block, 0);
	CHECK_EQ_U(H.link[1].from, 0);
	CHECK_EQ_U(H.link[1].from_off, 16);
	CHECK_EQ_U(H.link[2].from_off, 8);
	CHECK_EQ_U(peek(b[1].addr + H.link[2].from_off), b[2].addr);
	CHECK_EQ_U(H.idom[0], SCAN_HOLDER_HIT | 0);
	CHECK_EQ_U(H.idom[1], 0);
	CHECK_EQ_U(H.idom[2], 1);
	CHECK_EQ_U(H.retained_bytes[0], 112);
	CHECK_EQ_U(H.retained_blocks[0], 3);
	CHECK_EQ_U(H.retained_bytes[1], 48);
	CHECK_EQ_U(H.retained_bytes[2], 16);
	CHECK_EQ_U(H.hits[0].retained_bytes, 112);
	CHECK_EQ_U(H.hits[0].retained_blocks, 3);

	/* a chain too long for the buffer keeps its root end and the block */
	uint32_t c[3];
	CHECK_EQ_U(scan_holders_chain(&H, 2, c, 3), 4);
	CHECK_EQ_U(c[0], SCAN_HOLDER_HIT | 0);
	CHECK_EQ_U(c[1], 0);
	CHECK_EQ_U(c[2], 2);
}

/* global -> A; A -> B, C; B -> D; C -> D: A dominates D, B and C don't */
static void test_diamond(void)
{
	struct scan_block b[] = {blk(HEAP + 0x100, 100), blk(HEAP + 0x200, 10),
				 blk(HEAP + 0x300, 20), blk(HEAP + 0x400, 40)};

	setup();
	poke(ROOT, HEAP + 0x100);
	poke(HEAP + 0x100, HEAP + 0x200);
	poke(HEAP + 0x108, HEAP + 0x300);
	poke(HEAP + 0x200, HEAP + 0x400);
	poke(HEAP + 0x300, HEAP + 0x400);
	run(b, 4, &data_root, 1, NULL, 0, 0);
	CHECK_STR(chain_str(3), "h0 0 1 3");
	CHECK_EQ_U(H.idom[3], 0);
	CHECK_EQ_U(H.idom[1], 0);
	CHECK_EQ_U(H.idom[2], 0);
	CHECK_EQ_U(H.retained_bytes[0], 170);
	CHECK_EQ_U(H.retained_blocks[0], 4);
	CHECK_EQ_U(H.retained_bytes[1], 10);
	CHECK_EQ_U(H.retained_bytes[2], 20);
	CHECK_EQ_U(H.retained_bytes[3], 40);
}

/* global -> A <-> B; then a second global -> B as well: each block has
 * two ways in, so no global and no block keeps the other alive */
static void test_cycle(void)
{
	struct scan_block b[] = {blk(HEAP + 0x100, 16), blk(HEAP + 0x200, 24)};

	setup();
	poke(ROOT + 8, HEAP + 0x100);
	poke(HEAP + 0x100, HEAP + 0x200);
	poke(HEAP + 0x208, HEAP + 0x100);
	run(b, 2, &data_root, 1, NULL, 0, 0);
	CHECK_STR(chain_str(0), "h0 0");
	CHECK_STR(chain_str(1), "h0 0 1");
	CHECK_EQ_U(H.idom[1], 0);
	CHECK_EQ_U(H.retained_bytes[0], 40);
	CHECK_EQ_U(H.retained_blocks[0], 2);

	poke(ROOT + 0x20, HEAP + 0x200);
	run(b, 2, &data_root, 1, NULL, 0, 0);
	CHECK_EQ_U(H.nhits, 2);
	CHECK_EQ_U(H.idom[0], SCAN_NO_HOLDER);
	CHECK_EQ_U(H.idom[1], SCAN_NO_HOLDER);
	CHECK_EQ_U(H.retained_bytes[0], 16);
	CHECK_EQ_U(H.retained_bytes[1], 24);
	CHECK_EQ_U(H.hits[0].retained_bytes, 0);
	CHECK_EQ_U(H.hits[1].retained_bytes, 0);
	CHECK_STR(chain_str(1), "h1 1");
	CHECK_EQ_U(H.link[1].from_off, 0x20);
}

/*
 * global +0 -> A, global +8 -> B; A -> D + 16 (interior); B -> E -> D.
 * D is still reachable through B and E: its chain is that one, though
 * the interior one is shorter.  F, pointed to only at +40 from A, is
 * possibly lost: its chain goes through A and says where it points.
 */
static void test_interior(void)
{
	struct scan_block b[] = {blk(HEAP + 0x100, 32), blk(HEAP + 0x200, 32),
				 blk(HEAP + 0x300, 64), blk(HEAP + 0x400, 32),
				 blk(HEAP + 0x500, 64)};

	setup();
	poke(ROOT, HEAP + 0x100);
	poke(ROOT + 8, HEAP + 0x200);
	poke(HEAP + 0x100, HEAP + 0x310);
	poke(HEAP + 0x108, HEAP + 0x528);
	poke(HEAP + 0x200, HEAP + 0x400);
	poke(HEAP + 0x400, HEAP + 0x300);
	run(b, 5, &data_root, 1, NULL, 0, 0);
	CHECK_EQ_U(b[2].kind, LEAK_REACHABLE);
	CHECK_EQ_U(b[4].kind, LEAK_POSSIBLE);
	CHECK_STR(chain_str(2), "h1 1 3 2");
	CHECK_STR(chain_str(4), "h0 0 4");
	CHECK_EQ_U(H.link[4].from_off, 8);
	CHECK_EQ_U(peek(b[0].addr + 8), b[4].addr + 40);
	/* D has two holders (A and E): only the super-root dominates it */
	CHECK_EQ_U(H.idom[2], SCAN_NO_HOLDER);
	CHECK_EQ_U(H.retained_bytes[0], 32 + 64);
	CHECK_EQ_U(H.retained_bytes[1], 32 + 32);
}

/* a register of a thread -> A -> B; a stack word -> C */
static void test_register_and_stack(void)
{
	struct scan_block b[] = {blk(HEAP + 0x100, 16), blk(HEAP + 0x200, 16),
				 blk(HEAP + 0x300, 48)};
	struct scan_range roots[] = {data_root, stack_root};
	taddr_t words[] = {0x1234, HEAP + 0x104};

	setup();
	poke(HEAP + 0x100, HEAP + 0x200);
	poke(STACK + 0x7f8, HEAP + 0x300);
	run(b, 3, roots, 2, words, 2, 0);
	CHECK_EQ_U(b[0].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(H.nhits, 2);
	/* ranges first, then words */
	CHECK_EQ_U(H.hits[0].root, 1);
	CHECK_EQ_U(H.hits[0].off, 0x7f8);
	CHECK_EQ_U(H.hits[0].block, 2);
	CHECK_EQ_U(H.hits[1].root, 2 + 1); /* nroots + word 1 */
	CHECK_EQ_U(H.hits[1].off, 0);
	CHECK_EQ_U(H.hits[1].to_off, 4);
	CHECK_STR(chain_str(1), "h1 0 1");
	CHECK_STR(chain_str(2), "h0 2");
	CHECK_EQ_U(H.hits[1].retained_bytes, 32);
	CHECK_EQ_U(H.hits[0].retained_bytes, 48);

	/* two words of one stack hold C: the outermost frame's (the
	 * highest address) is its holder, not a callee's copy below */
	poke(STACK + 0x100, HEAP + 0x300);
	run(b, 3, roots, 2, words, 2, 0);
	CHECK_EQ_U(H.nhits, 3);
	CHECK_EQ_U(H.hits[0].off, 0x100);
	CHECK_STR(chain_str(2), "h1 2");
	CHECK_EQ_U(H.link[2].from_off, 0x7f8);
}

/*
 * A lost list L -> I1 -> I2, and L -> R, which a global holds: the lost
 * block retains its list, not R; R's chain and dominator are the
 * global's.
 */
static void test_lost(void)
{
	struct scan_block b[] = {blk(HEAP + 0x100, 16), blk(HEAP + 0x200, 16),
				 blk(HEAP + 0x300, 16), blk(HEAP + 0x400, 100)};

	setup();
	poke(HEAP + 0x100, HEAP + 0x200);
	poke(HEAP + 0x108, HEAP + 0x400);
	poke(HEAP + 0x200, HEAP + 0x300);
	poke(ROOT, HEAP + 0x400);
	run(b, 4, &data_root, 1, NULL, 0, 0);
	CHECK_EQ_U(b[0].kind, LEAK_DEFINITE);
	CHECK_EQ_U(b[2].kind, LEAK_INDIRECT);
	CHECK_STR(chain_str(2), "0 1 2");
	CHECK_STR(chain_str(0), "0");
	CHECK_STR(chain_str(3), "h0 3");
	CHECK_EQ_U(H.idom[0], SCAN_NO_HOLDER);
	CHECK_EQ_U(H.idom[2], 1);
	CHECK_EQ_U(H.idom[3], SCAN_HOLDER_HIT | 0);
	CHECK_EQ_U(H.retained_bytes[0], 48);
	CHECK_EQ_U(H.retained_blocks[0], 3);
	CHECK_EQ_U(H.hits[0].retained_bytes, 100);
}

static void test_empty(void)
{
	setup();
	run(NULL, 0, &data_root, 1, NULL, 0, 0);
	CHECK_EQ_U(H.nblocks, 0);
	CHECK_EQ_U(H.nhits, 0);
}

/* ---- random graphs against a brute-force reference ---- */

struct ref {
	size_t n, nh;  /* blocks, hits */
	size_t *first; /* node v's successors: succ[first[v]..first[v+1]) */
	size_t *succ;
	size_t ns;
};

/* Nodes as holders.c numbers them: 0 S, 1..nh hits, then blocks. */
static void ref_build(struct ref *r, const struct scan_block *b, size_t n)
{
	size_t cap = 0, v;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->nh = H.nhits;
	r->first = xcalloc(1 + r->nh + n + 1, sizeof(*r->first));
	v = 0;
	/* S */
	r->first[0] = 0;
	for (size_t k = 0; k < r->nh; k++) {
		r->succ = xgrow(r->succ, &cap, r->ns + 1, sizeof(*r->succ));
		r->succ[r->ns++] = 1 + k;
	}
	for (size_t i = 0; i < n; i++)
		if (b[i].kind == LEAK_DEFINITE) {
			r->succ =
			    xgrow(r->succ, &cap, r->ns + 1, sizeof(*r->succ));
			r->succ[r->ns++] = 1 + r->nh + i;
		}
	for (v = 1; v <= r->nh; v++) {
		r->first[v] = r->ns;
		r->succ = xgrow(r->succ, &cap, r->ns + 1, sizeof(*r->succ));
		r->succ[r->ns++] = 1 + r->nh + H.hits[v - 1].block;
	}
	for (size_t i = 0; i < n; i++, v++) {
		bool li = b[i].kind >= LEAK_POSSIBLE;
		r->first[v] = r->ns;
		for (taddr_t a = b[i].addr; a + 8 <= b[i].addr + b[i].size;
		     a += 8) {
			long t = scan_find_block(b, n, peek(a));
			if (t < 0 || (size_t)t == i)
				continue;
			if (!li && b[t].kind >= LEAK_POSSIBLE)
				continue;
			r->succ =
			    xgrow(r->succ, &cap, r->ns + 1, sizeof(*r->succ));
			r->succ[r->ns++] = 1 + r->nh + (size_t)t;
		}
	}
	r->first[v] = r->ns;
}

/* Mark in SEEN what S reaches without going through node X. */
static void ref_reach(const struct ref *r, size_t x, uint8_t *seen,
		      size_t *stack)
{
	size_t nn = 1 + r->nh + r->n, top = 0;

	memset(seen, 0, nn);
	seen[0] = 1;
	stack[top++] = 0;
	while (top) {
		size_t v = stack[--top];
		for (size_t k = r->first[v]; k < r->first[v + 1]; k++) {
			size_t w = r->succ[k];
			if (seen[w] || w == x)
				continue;
			seen[w] = 1;
			stack[top++] = w;
		}
	}
}

static void test_random(size_t n, unsigned long long seed)
{
	struct scan_block *b = xcalloc(n, sizeof(*b));
	taddr_t a = HEAP;
	unsigned long long st = seed;
	struct ref r;
	uint8_t *seen;
	size_t *stack, nn;
	int bad = 0;

	setup();
	for (size_t i = 0; i < n; i++) {
		uint64_t size = 8 * (1 + check_rand(&st) % 6);
		b[i] = blk(a, size);
		a += size + 8 * (check_rand(&st) % 3);
	}
	BUG_ON(a - HEAP > sizeof(heap));
	/* about one pointer per block, some interior; a few roots */
	for (size_t i = 0; i < n; i++)
		for (taddr_t w = b[i].addr; w + 8 <= b[i].addr + b[i].size;
		     w += 8) {
			unsigned long long x = check_rand(&st);
			size_t t = (size_t)(x % n);
			if (x % 100 < 70)
				continue;
			poke(w, b[t].addr + (x % 7 == 0 ? 8 : 0));
		}
	for (size_t k = 0; k < 6; k++) {
		size_t t = (size_t)(check_rand(&st) % n);
		poke(ROOT + 8 * (check_rand(&st) % 512), b[t].addr);
	}
	run(b, n, &data_root, 1, NULL, 0, 0);

	/* every link is true to memory; chains of still reachable blocks
	 * are start-pointers */
	for (size_t i = 0; i < n; i++) {
		const struct scan_link *l = &H.link[i];
		taddr_t at;
		if (l->from == SCAN_NO_HOLDER) {
			bad += b[i].kind != LEAK_DEFINITE;
			continue;
		}
		if (l->from & SCAN_HOLDER_HIT)
			at = ROOT + H.hits[l->from & ~SCAN_HOLDER_HIT].off;
		else
			at = b[l->from].addr + l->from_off;
		bad +=
		    peek(at) < b[i].addr || peek(at) >= b[i].addr + b[i].size;
		if (b[i].kind == LEAK_REACHABLE) {
			uint32_t c[4096];
			size_t len = scan_holders_chain(&H, i, c, 4096);
			for (size_t k = 1; k < len && k < 4096; k++) {
				const struct scan_link *m = &H.link[c[k]];
				taddr_t w =
				    m->from & SCAN_HOLDER_HIT
					? ROOT +
					      H.hits[m->from & ~SCAN_HOLDER_HIT]
						  .off
					: b[m->from].addr + m->from_off;
				bad += peek(w) != b[c[k]].addr;
			}
			bad += !(c[0] & SCAN_HOLDER_HIT);
		}
	}
	CHECK_EQ_U(bad, 0);

	/* dominators: X dominates V iff V is unreached once X is gone */
	ref_build(&r, b, n);
	nn = 1 + r.nh + n;
	seen = xmalloc(nn);
	stack = xmalloc((r.ns + nn) * sizeof(*stack));
	for (size_t x = 1; x < nn; x++) {
		uint64_t bytes = 0, blocks = 0;
		ref_reach(&r, x, seen, stack);
		for (size_t i = 0; i < n; i++)
			if (!seen[1 + r.nh + i]) {
				bytes += b[i].size;
				blocks++;
			}
		if (x <= r.nh) {
			bad += H.hits[x - 1].retained_bytes != bytes;
			bad += H.hits[x - 1].retained_blocks != blocks;
		} else {
			bad += H.retained_bytes[x - 1 - r.nh] != bytes;
			bad += H.retained_blocks[x - 1 - r.nh] != blocks;
		}
	}
	CHECK_EQ_U(bad, 0);
	/* idom: the dominator whose own dominated set is smallest */
	for (size_t i = 0; i < n; i++) {
		uint32_t d = H.idom[i];
		size_t v = 1 + r.nh + i, dv;
		if (d == SCAN_NO_HOLDER)
			continue;
		dv = d & SCAN_HOLDER_HIT ? 1 + (d & ~SCAN_HOLDER_HIT)
					 : 1 + r.nh + d;
		ref_reach(&r, dv, seen, stack);
		bad += seen[v];
	}
	CHECK_EQ_U(bad, 0);
	free(seen);
	free(stack);
	free(r.first);
	free(r.succ);
	free(b);
}

/* ---- the reports ---- */

enum {
	PC_MALLOC = 0x1000,
	PC_PUSH = 0x2000,
	PC_GROW = 0x2100,
	PC_REG = 0x2200,
	PC_LOST = 0x2300,
	PC_MAIN = 0x3000
};

static int fake_sym(void *ctx, taddr_t pc, int is_return, struct sym_frame *out,
		    int max)
{
	static const struct {
		taddr_t pc;
		const char *func;
		int line;
	} t[] = {{PC_MALLOC, "malloc", 0}, {PC_PUSH, "push", 20},
		 {PC_GROW, "grow", 25},	   {PC_REG, "keep", 40},
		 {PC_LOST, "lose", 50},	   {PC_MAIN, "main", 60}};

	memset(out, 0, sizeof(*out));
	out->pc = pc;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i].pc == pc) {
			out->func = t[i].func;
			out->file = t[i].line ? "/src/prog.c" : NULL;
			out->line = t[i].line;
			out->module = "/bin/prog";
			return 1;
		}
	return 1;
}

/* the global 'cache' at ROOT, 0x100 bytes */
static int fake_data(void *ctx, taddr_t a, struct sym_data *d)
{
	memset(d, 0, sizeof(*d));
	if (a < ROOT || a >= ROOT + 0x1000)
		return 0;
	d->module = "/bin/prog";
	d->module_base = ROOT;
	if (a < ROOT + 0x100) {
		d->name = "cache";
		d->off = a - ROOT;
		d->file = "/src/prog.c";
		d->line = 12;
	}
	return 1;
}

static char *capture_text(struct report_ctx *rc, const struct loss_record *recs,
			  size_t nrec, const struct leak_summary *sum)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	rc->out = f;
	report_text(rc, recs, nrec, sum);
	fclose(f);
	return buf;
}

#define CHECK_HAS(text, s)                                                     \
	do {                                                                   \
		bool has_ = strstr(text, s) != NULL;                           \
		CHECK(has_);                                                   \
		if (!has_)                                                     \
			fprintf(stderr, "  missing: %s\n", s);                 \
	} while (0)

/* Occurrences of S in [FROM, TO) (TO NULL: to the end); 0 if FROM is
 * NULL. */
static unsigned count_in(const char *from, const char *to, const char *s)
{
	unsigned n = 0;

	for (const char *p = from; p && (p = strstr(p, s)) && (!to || p < to);
	     p++)
		n++;
	return n;
}

/*
 * global 'cache' +16 -> A (64, push) +16 -> B (32, grow) +8 -> C + 8 (16,
 * grow: possibly lost); rbx of thread 7 -> D (24, keep); a lost L (16,
 * lose) -> I (16, lose).
 */
static void test_report(void)
{
	struct scan_block b[] = {blk(HEAP + 0x100, 64), blk(HEAP + 0x200, 32),
				 blk(HEAP + 0x300, 16), blk(HEAP + 0x400, 24),
				 blk(HEAP + 0x500, 16), blk(HEAP + 0x600, 16)};
	taddr_t st_push[] = {PC_MALLOC, PC_PUSH, PC_MAIN};
	taddr_t st_grow[] = {PC_MALLOC, PC_GROW, PC_MAIN};
	taddr_t st_reg[] = {PC_MALLOC, PC_REG, PC_MAIN};
	taddr_t st_lost[] = {PC_MALLOC, PC_LOST, PC_MAIN};
	taddr_t words[] = {0, HEAP + 0x400};
	struct scan_root_word info[] = {{ROOT_REGISTER, 7, 0},
					{ROOT_REGISTER, 7, 1}};
	struct target_thread th = {.tid = 7, .sp = STACK, .tp = 0};
	struct stack_depot depot;
	struct report_holders rh;
	struct report_ctx rc;
	struct leak_summary sum;
	struct loss_record *recs;
	size_t nrec;
	char *text, *json = NULL, path[] = "/tmp/test_holders.XXXXXX";
	int fd;

	setup();
	stack_depot_init(&depot);
	b[0].stack_id = stack_depot_intern(&depot, st_push, 3);
	b[1].stack_id = b[2].stack_id = stack_depot_intern(&depot, st_grow, 3);
	b[3].stack_id = stack_depot_intern(&depot, st_reg, 3);
	b[4].stack_id = b[5].stack_id = stack_depot_intern(&depot, st_lost, 3);
	poke(ROOT + 0x10, HEAP + 0x100);
	poke(HEAP + 0x110, HEAP + 0x200);
	poke(HEAP + 0x208, HEAP + 0x308);
	poke(HEAP + 0x500, HEAP + 0x600);
	run(b, 6, &data_root, 1, words, 2, 0);
	CHECK_EQ_U(b[2].kind, LEAK_POSSIBLE);
	CHECK_EQ_U(b[5].kind, LEAK_INDIRECT);

	recs = loss_records_build(b, 6, NULL, 0, &nrec, &sum);
	rh = (struct report_holders){
	    .blocks = b,
	    .h = &H,
	    .roots = &data_root,
	    .nroots = 1,
	    .words = info,
	    .nwords = 2,
	    .threads = &th,
	    .nthreads = 1,
	    .read = mem_read,
	    .data = fake_data,
	    .kinds = (1u << LEAK_NKINDS) - 1,
	    .top = 2,
	};
	memset(&rc, 0, sizeof(rc));
	report_holders_prepare(&rc, &rh, recs, nrec);
	rc.pid = 77;
	rc.mode = LEAK_CHECK_FULL;
	rc.show_kinds = (1u << LEAK_NKINDS) - 1;
	rc.num_callers = 12;
	rc.depot = &depot;
	rc.sym = fake_sym;
	rc.holders = &rh;
	text = capture_text(&rc, recs, nrec, &sum);

	CHECK_HAS(text,
		  "==77==  held by: global 'cache' (prog.c:12, in "
		  "/bin/prog) +16\n"
		  "==77==        -> 0x100100 (64 bytes, allocated at push "
		  "(prog.c:20)) +16\n"
		  "==77==        -> 0x100200 (32 bytes, allocated at grow "
		  "(prog.c:25)) +8\n"
		  "==77==        -> this block (0x100300, pointed into at "
		  "+8), which retains 16 bytes in 1 blocks\n");
	CHECK_HAS(text, "==77==  held by: register rbx of thread 7\n"
			"==77==        -> this block (0x100400), which retains "
			"24 bytes in 1 blocks\n");
	CHECK_HAS(text, "==77==  held by: definitely lost block 0x100500 (16 "
			"bytes, allocated at lose (prog.c:50)) +0\n"
			"==77==        -> this block (0x100600), which retains "
			"16 bytes in 1 blocks\n");
	CHECK_HAS(text, "==77==  held by: nothing (no pointer from a root or a "
			"reachable block); it retains 32 bytes in 2 blocks\n");
	CHECK_HAS(text,
		  "==77== TOP HOLDERS, by the bytes each keeps alive "
		  "alone:\n"
		  "==77== 1: global 'cache' (prog.c:12, in /bin/prog) "
		  "retains 112 bytes in 3 blocks\n"
		  "==77== 2: 1 blocks allocated here retain 112 bytes in 3 "
		  "blocks\n"
		  "==77==    at 0x1000: malloc (in /bin/prog)\n"
		  "==77==    by 0x2000: push (prog.c:20)\n"
		  "==77==    by 0x3000: main (prog.c:60)\n"
		  "==77==  held by: global 'cache' (prog.c:12, in "
		  "/bin/prog) +16\n"
		  "==77==        -> this block (0x100100), which retains "
		  "112 bytes in 3 blocks\n"
		  "==77== \n"
		  "==77== LEAK SUMMARY:\n");
	free(text);

	/* without holders: not a word of them */
	rc.holders = NULL;
	text = capture_text(&rc, recs, nrec, &sum);
	CHECK(!strstr(text, "held by") && !strstr(text, "TOP HOLDERS"));
	free(text);
	rc.holders = &rh;

	fd = mkstemp(path);
	BUG_ON(fd < 0);
	close(fd);
	CHECK_EQ_U(report_json(&rc, path, "prog", recs, nrec, &sum), 0);
	{
		FILE *jf = fopen(path, "r");
		size_t jcap = 0, jlen = 0, r;
		while (jf && (json = xgrow(json, &jcap, jlen + 4097, 1)) &&
		       (r = fread(json + jlen, 1, 4096, jf)) > 0)
			jlen += r;
		if (json)
			json[jlen] = 0;
		if (jf)
			fclose(jf);
	}
	unlink(path);
	CHECK(json != NULL);
	if (json) {
		CHECK_HAS(json, "\"held_by\": {\"block\": \"0x100300\", "
				"\"target_offset\": 8, \"retained_bytes\": 16, "
				"\"retained_blocks\": 1, \"length\": 4, "
				"\"truncated\": false,\n        \"root\": "
				"{\"kind\": \"global\", \"name\": \"cache\", "
				"\"file\": \"/src/prog.c\", \"line\": 12, "
				"\"module\": \"/bin/prog\", \"thread\": null, "
				"\"address\": \"0x800010\", \"offset\": 16");
		CHECK_HAS(json,
			  "{\"address\": \"0x100200\", \"size\": 32, "
			  "\"kind\": \"reachable\", \"target_offset\": 0, "
			  "\"pointer_offset\": 8, \"text\": \"0x100200 (32 "
			  "bytes, allocated at grow (prog.c:25))\"}");
		CHECK_HAS(json, "\"top_holders\": [\n    {\"retained_bytes\": "
				"112, \"retained_blocks\": 3, \"members\": 1, "
				"\"root\": \"global 'cache' (prog.c:12, in "
				"/bin/prog)\"}");
	}
	free(json);
	report_holders_release(&rh);

	/* --holders-of: an address inside a block, a pattern, an address in
	 * no block; and --report=new's WHAT GREW, block 2 new */
	{
		static const char *const of[] = {"0x100208", "gro?", "0x5"};
		uint8_t fresh[6] = {0, 0, 1, 0, 0, 0};
		struct leak_summary old = sum;
		rh.kinds = 0;
		rh.top = 0;
		rh.of = of;
		rh.nof = 3;
		rh.grew = 1;
		rh.fresh = fresh;
		for (size_t i = 0; i < nrec; i++)
			if (recs[i].kind != LEAK_POSSIBLE) {
				recs[i].has_old = 1;
				recs[i].old_bytes = recs[i].bytes;
				recs[i].old_blocks = recs[i].blocks;
				recs[i].old_indirect_bytes =
				    recs[i].indirect_bytes;
			}
		rc.old_sum = &old;
		report_holders_prepare(&rc, &rh, recs, nrec);
		text = capture_text(&rc, recs, nrec, &sum);
		CHECK_HAS(text,
			  "==77== HOLDERS OF 0x100208:\n"
			  "==77== 0x100208 is 8 bytes into the block 0x100200 "
			  "of 32 bytes, still reachable (loss record ");
		CHECK_HAS(text,
			  "==77==    by 0x2100: grow (prog.c:25)\n"
			  "==77==    by 0x3000: main (prog.c:60)\n"
			  "==77==  held by: global 'cache' (prog.c:12, "
			  "in /bin/prog) +16\n"
			  "==77==        -> 0x100100 (64 bytes, allocated "
			  "at push (prog.c:20)) +16\n"
			  "==77==        -> this block (0x100200), which "
			  "retains 48 bytes in 2 blocks\n");
		CHECK_HAS(text, "==77== HOLDERS OF 'gro?' (blocks with a "
				"function it matches in their allocation "
				"stack):\n"
				"==77== loss record ");
		CHECK_HAS(text, ": 16 bytes in 1 blocks are possibly lost\n");
		CHECK_HAS(text, "==77== HOLDERS OF 0x5:\n"
				"==77==  no live block holds this address\n");
		CHECK_HAS(text, "==77== WHAT GREW since the last report, and "
				"who holds it:\n"
				"==77== loss record ");
		CHECK_HAS(text,
			  ": +16 bytes, +1 blocks, 1 at new addresses; now 16 "
			  "bytes in 1 blocks are possibly lost\n");
		CHECK_HAS(text, "==77==        -> this block (0x100300, "
				"pointed into at +8), which retains 16 bytes "
				"in 1 blocks\n==77== \n==77== LEAK SUMMARY");
		/* two records match 'gro?', one grew; none of those lines
		 * reads as a record's */
		CHECK_EQ_U(count_in(strstr(text, "HOLDERS OF 'gro?'"),
				    strstr(text, "HOLDERS OF 0x5"),
				    "==77== loss record"),
			   2);
		CHECK_EQ_U(count_in(strstr(text, "WHAT GREW"), NULL,
				    "==77== loss record"),
			   1);
		CHECK_EQ_U(count_in(strstr(text, "HOLDERS OF"), NULL,
				    "in loss record"),
			   0);
		free(text);
		report_holders_release(&rh);
		rc.old_sum = NULL;
	}
	{
		taddr_t a = 0;
		CHECK_EQ_U(report_holders_of_parse("0x1f", &a), 1);
		CHECK_EQ_U(a, 0x1f);
		CHECK_EQ_U(report_holders_of_parse("0XABCDEF0123456789", &a),
			   1);
		CHECK_EQ_U(a, 0xabcdef0123456789ull);
		CHECK_EQ_U(report_holders_of_parse("session_*", &a), 0);
		CHECK_EQ_U(report_holders_of_parse("0x", &a), -1);
		CHECK_EQ_U(report_holders_of_parse("0x12g", &a), -1);
		CHECK_EQ_U(report_holders_of_parse("0x-1", &a), -1);
		CHECK_EQ_U(report_holders_of_parse("0x11112222333344445", &a),
			   -1);
	}
	free(recs);
	stack_depot_release(&depot);
}

int main(void)
{
	test_empty();
	test_chain();
	test_diamond();
	test_cycle();
	test_interior();
	test_register_and_stack();
	test_lost();
	test_report();
	for (unsigned long long s = 1; s <= 20; s++)
		test_random(50 + (size_t)(s * 37 % 300),
			    s * 0x9e3779b97f4a7c15ull);
	scan_holders_release(&H);
	return check_done("test_holders");
}
