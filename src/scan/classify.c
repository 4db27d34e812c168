/*
 * classify: conservative marking and valgrind memcheck's leak kinds.
 *
 * The graph (as in the overview of valgrind's mc_leakcheck.c): the nodes
 * are the live blocks plus the root set (root ranges and root words); an
 * aligned 8-byte word equal to a block's start is a start-pointer, one in
 * [addr + 1, addr + size) an interior-pointer.  A zero-size block counts
 * as one byte long, so only a pointer equal to its address reaches it.
 * Only whole aligned words inside a block are scanned.
 *
 * Phase 1, marking from the roots, gives each block a reachedness:
 *
 *   Reachable  a chain of start-pointers from a root;
 *   Possible   reached, but only through some interior-pointer;
 *   Unreached  no pointer from a root or a reached block.
 *
 * An edge makes its target Reachable only if it is a start-pointer (or an
 * interior-pointer a heuristic accepts) and its source is a root or a
 * Reachable block (valgrind's "is_prior_definite"); any other edge makes
 * an Unreached target Possible.  A block whose reachedness rises is
 * (re)scanned, so the result is the least fixpoint and does not depend on
 * the order of scanning.
 *
 * Phase 2 groups the Unreached blocks into cliques: in address order,
 * each block still Unreached leads a clique of every Unreached block it
 * reaches by any pointer; those become Indirect and their sizes add to
 * the leader's indirect totals.  A walk that meets an earlier leader
 * takes it, and its totals, into the new clique.  Leaders stay Unreached.
 * The totals are kept only for leaders that gather something, in the
 * scan_clique array, appended in address order of the leaders.
 *
 * Final kinds: Reachable -> LEAK_REACHABLE, Possible -> LEAK_POSSIBLE,
 * Indirect -> LEAK_INDIRECT, Unreached -> LEAK_DEFINITE.  Every indirect
 * block's clique is its final leader; every other block's is itself
 * (kept only if the caller asks for it).
 *
 * How: first every block's contents are read once, in address order and
 * big reads, and each word that points into a block is kept as an edge
 * (target index and offset class) in a compact adjacency array.  Both
 * phases then walk that array with an explicit work stack and never read
 * the tracee again, so a randomly linked heap costs no more reads than a
 * sequential one.  Root memory is scanned as it is read.
 *
 * XXX: valgrind only counts words its V bits say are defined, so stale
 * pointers in uninitialised memory do not count there; they do here.
 * XXX: the edge array costs 4 bytes per heap word that points into a
 * block (a heap that is all pointers costs half its size again here).
 *
 * Memory, per block: the state byte, the 32-bit index of its first edge,
 * about one 32-bit bucket of the address lookup; the work stack holds
 * only blocks with edges (scanning one without would do nothing).
 *
 * Asked for holders (scan_input.holders), it also keeps where each
 * edge's pointer lies and where it points (8 bytes more per edge) and
 * every root word that points into a block, and hands the graph to
 * holders.c: the blocks are still read once.
 *
 * Invariants: a block is on the work stack at most once (its pending
 * bit), so the stack never holds more than nblocks entries; reachedness
 * only rises (Unreached -> Possible -> Reachable; Unreached -> Indirect).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "leakcheck/scan.h"
#include "leakcheck/util.h"

_Static_assert(sizeof(struct scan_block) == 24, "scan_block is 24 bytes");

#define WORD 8u
#define PAGE 4096u
#define CHUNK (64u * 1024) /* largest single read */
#define GAP (8u * 1024)	   /* bytes read across between two blocks */

/* Reachedness, in the low bits of a block's state byte. */
enum reach {
	R_UNREACHED = 0, /* no pointer found (yet); leader when lost */
	R_POSSIBLE,	 /* reached only through some interior pointer */
	R_REACHABLE,	 /* chain of start-pointers from a root */
	R_INDIRECT,	 /* member of a lost clique */
};
#define ST_REACH 0x03u
#define ST_PENDING 0x04u /* on the work stack */
#define ST_H8_SHIFT 3	 /* 2 bits: heuristic for a pointer at +8 */
#define ST_H8 (0x3u << ST_H8_SHIFT)
#define ST_H24 0x20u	/* a pointer at +24 is a std::string's */
#define ST_HEUR 0x40u	/* scan_block.heuristic is set */
#define ST_LEADER 0x80u /* led a clique at some point */
#define ST_HAS_CLIQUE                                                          \
	ST_H24 /* a leader with an entry in cliques (phase 2:                  \
		* the heuristic bits are done with) */

struct ctx {
	struct scan_block *b;
	size_t n;
	taddr_t lo;	  /* lowest block address */
	uint64_t span;	  /* end of the highest block - lo */
	unsigned shift;	  /* bucket = (p - lo) >> shift */
	uint32_t *bucket; /* [k]: first block with addr >= lo + (k << shift) */
	scan_read_fn read;
	void *rctx;
	unsigned flags;
	struct scan_stats *stats;
	uint8_t *st;	 /* state byte per block: ST_* (dense, for speed) */
	uint32_t *first; /* block i's edges are edge[first[i] .. first[i+1]) */
	uint32_t *edge;	 /* index | class << EDGE_SHIFT */
	size_t nedges, edge_cap;
	uint32_t *stack; /* work stack, n entries */
	size_t top;
	long leader;		/* the clique being gathered */
	uint32_t *clique;	/* the caller's, or NULL */
	struct scan_clique *cl; /* the totals, sorted by leader */
	size_t ncl, cl_cap;
	uint64_t *buf; /* CHUNK bytes */
	/* only when holders are asked for: where each edge's pointer lies
	 * and where it points (parallel to edge), and the root hits */
	bool want_holders;
	uint32_t *srcoff;
	size_t off_cap;
	struct scan_root_hit *hits;
	uint8_t *hit_class;
	size_t nhits, hits_cap, hit_class_cap;
	taddr_t cur_base;  /* address of the words being scanned */
	taddr_t cur_start; /* start of their block or root range */
	uint32_t cur_root; /* the root being scanned */
};

static inline taddr_t align_up(taddr_t a)
{
	return (a + WORD - 1) & ~(taddr_t)(WORD - 1);
}

static inline taddr_t align_down(taddr_t a)
{
	return a & ~(taddr_t)(WORD - 1);
}

static inline uint64_t block_len(const struct scan_block *b)
{
	return b->size ? b->size : 1;
}

/* glibc x86-64 request2size: the chunk size behind a SIZE-byte request. */
static inline uint64_t glibc_chunksize(uint64_t size)
{
	uint64_t c = (size + 8 + 15) & ~(uint64_t)15;
	return c < 32 ? 32 : c;
}

long scan_find_block(const struct scan_block *blocks, size_t n, taddr_t addr)
{
	size_t lo = 0, hi = n;

	/* quick reject: below the first block or past the end of the last */
	if (!n || addr < blocks[0].addr)
		return -1;
	if (addr >= blocks[n - 1].addr &&
	    addr - blocks[n - 1].addr >= block_len(&blocks[n - 1]))
		return -1;
	/* the last block starting at or below ADDR */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (blocks[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (addr - blocks[lo].addr < block_len(&blocks[lo]))
		return (long)lo;
	return -1;
}

/* Index of the block containing P, which lies in [lo, lo + span), or -1. */
static inline long lookup(const struct ctx *c, taddr_t p)
{
	uint64_t k = (p - c->lo) >> c->shift;
	size_t l = c->bucket[k], h = c->bucket[k + 1];

	/* blocks starting in P's bucket are [l, h); the one holding P is
	 * the last of them starting at or below P, or else block l - 1 */
	if (l == h || c->b[l].addr > p) {
		if (!l)
			return -1;
		l--;
	} else {
		while (h - l > 1) {
			size_t mid = l + (h - l) / 2;
			if (c->b[mid].addr <= p)
				l = mid;
			else
				h = mid;
		}
	}
	if (p - c->b[l].addr < block_len(&c->b[l]))
		return (long)l;
	return -1;
}

/* The edge for word P, or false if P points into no block (or, under
 * SCAN_GLIBC_CHUNKS, only at the next chunk's header). */
static inline bool word_edge(const struct ctx *c, taddr_t p, uint32_t *e)
{
	long i;
	uint64_t off;
	unsigned cls;

	if (p - c->lo >= c->span)
		return false;
	i = lookup(c, p);
	if (i < 0)
		return false;
	off = p - c->b[i].addr;
	if (!off)
		cls = E_START;
	else if ((c->flags & SCAN_GLIBC_CHUNKS) &&
		 off + 16 == glibc_chunksize(c->b[i].size))
		return false;
	else if (off == WORD)
		cls = E_OFF8;
	else if (off == 3 * WORD)
		cls = E_OFF24;
	else
		cls = E_INTERIOR;
	*e = (uint32_t)i | (uint32_t)cls << EDGE_SHIFT;
	return true;
}

static inline unsigned reach_of(const struct ctx *c, size_t i)
{
	return c->st[i] & ST_REACH;
}

static inline void set_reach(struct ctx *c, size_t i, unsigned r)
{
	c->st[i] = (uint8_t)((c->st[i] & ~ST_REACH) | r);
}

/* Put block I on the work stack, unless it is there or has no edges. */
static inline void push(struct ctx *c, size_t i)
{
	if ((c->st[i] & ST_PENDING) || c->first[i] == c->first[i + 1])
		return;
	c->st[i] |= ST_PENDING;
	c->stack[c->top++] = (uint32_t)i;
}

/* Set block I's heuristic field, keeping ST_HEUR in step. */
static inline void set_heuristic(struct ctx *c, size_t i, unsigned h)
{
	c->b[i].heuristic = (uint8_t)h;
	if (h)
		c->st[i] |= ST_HEUR;
	else
		c->st[i] &= (uint8_t)~ST_HEUR;
}

/* valgrind's lc_push_without_clique_if_a_chunk_ptr() for edge E. */
static inline void mark(struct ctx *c, uint32_t e, bool prior_def)
{
	size_t i = e & EDGE_INDEX;
	unsigned cls = e >> EDGE_SHIFT;
	unsigned r = reach_of(c, i);
	bool definite = cls == E_START;

	if (r == R_REACHABLE) {
		if (definite && (c->st[i] & ST_HEUR))
			set_heuristic(c, i, SCAN_HEUR_NONE);
		return;
	}
	if (!definite && (c->flags & SCAN_HEURISTICS)) {
		/* valgrind's heuristic_reachedness(), answered in advance */
		unsigned h = SCAN_HEUR_NONE; /* XXX: no multipleinheritance */
		if (cls == E_OFF8)
			h = (c->st[i] & ST_H8) >> ST_H8_SHIFT;
		else if (cls == E_OFF24 && (c->st[i] & ST_H24))
			h = SCAN_HEUR_STDSTRING;
		set_heuristic(c, i, h);
		definite = h != SCAN_HEUR_NONE;
	}
	if (definite && prior_def) {
		set_reach(c, i, R_REACHABLE);
		push(c, i);
	} else if (r == R_UNREACHED) {
		set_reach(c, i, R_POSSIBLE);
		push(c, i);
	}
}

const struct scan_clique *scan_clique_find(const struct scan_clique *c,
					   size_t n, size_t leader)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c[mid].leader < leader)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && c[lo].leader == leader ? &c[lo] : NULL;
}

/* valgrind's lc_push_with_clique_if_a_chunk_ptr() for edge E. */
static inline void gather(struct ctx *c, uint32_t e)
{
	size_t i = e & EDGE_INDEX;
	struct scan_clique *l;

	if (reach_of(c, i) != R_UNREACHED || (long)i == c->leader)
		return;
	push(c, i);
	/* the leader's totals: the last entry, made at its first block */
	if (!(c->st[c->leader] & ST_HAS_CLIQUE)) {
		c->cl = xgrow(c->cl, &c->cl_cap, c->ncl + 1, sizeof(*c->cl));
		c->cl[c->ncl++] =
		    (struct scan_clique){.leader = (uint32_t)c->leader};
		c->st[c->leader] |= ST_HAS_CLIQUE;
	}
	l = &c->cl[c->ncl - 1];
	l->bytes += c->b[i].size;
	l->blocks++;
	if (c->st[i] & ST_HAS_CLIQUE) {
		/* an earlier leader brings its clique along */
		struct scan_clique *o =
		    (struct scan_clique *)scan_clique_find(c->cl, c->ncl, i);
		l->bytes += o->bytes;
		l->blocks += o->blocks;
		o->bytes = 0;
		o->blocks = 0;
	}
	set_reach(c, i, R_INDIRECT);
	if (c->clique)
		c->clique[i] = (uint32_t)c->leader;
}

enum scan_mode {
	MODE_ROOT,  /* mark what the words point at, from a root */
	MODE_EDGES, /* append the words' edges to the adjacency array */
};

static inline uint32_t clip32(uint64_t v)
{
	return v < UINT32_MAX ? (uint32_t)v : UINT32_MAX;
}

/* A root word at ADDR (or root word CUR_ROOT - nroots, ADDR 0) points
 * at P, into the block of edge E: keep it for the holders. */
static void add_hit(struct ctx *c, taddr_t addr, taddr_t p, uint32_t e)
{
	size_t i = e & EDGE_INDEX;

	if (c->nhits == c->hits_cap) {
		c->hits = xgrow(c->hits, &c->hits_cap, c->nhits + 1,
				sizeof(*c->hits));
		c->hit_class = xgrow(c->hit_class, &c->hit_class_cap,
				     c->nhits + 1, sizeof(*c->hit_class));
	}
	c->hits[c->nhits] = (struct scan_root_hit){
	    .root = c->cur_root,
	    .block = (uint32_t)i,
	    .off = addr ? addr - c->cur_start : 0,
	    .to_off = clip32(p - c->b[i].addr),
	};
	c->hit_class[c->nhits++] = (uint8_t)(e >> EDGE_SHIFT);
}

static void scan_words(struct ctx *c, const uint64_t *w, size_t nw,
		       enum scan_mode mode)
{
	uint32_t e;

	if (mode == MODE_ROOT) {
		for (size_t k = 0; k < nw; k++) {
			if (!word_edge(c, w[k], &e))
				continue;
			mark(c, e, true);
			if (c->want_holders)
				add_hit(c, c->cur_base + k * WORD, w[k], e);
		}
		return;
	}
	for (size_t k = 0; k < nw; k++) {
		if (!word_edge(c, w[k], &e))
			continue;
		if (c->nedges == c->edge_cap)
			c->edge = xgrow(c->edge, &c->edge_cap, c->nedges + 1,
					sizeof(*c->edge));
		if (c->want_holders && c->nedges >= c->off_cap)
			c->srcoff = xgrow(c->srcoff, &c->off_cap, c->nedges + 1,
					  sizeof(*c->srcoff));
		if (c->want_holders)
			c->srcoff[c->nedges] =
			    clip32(c->cur_base + k * WORD - c->cur_start);
		c->edge[c->nedges++] = e;
	}
}

/*
 * Scan the aligned words of [START, END) in big reads; unreadable parts
 * are skipped a page at a time and counted.  Adds the bytes scanned to
 * *SCANNED.
 */
static void scan_range(struct ctx *c, taddr_t start, taddr_t end,
		       enum scan_mode mode, uint64_t *scanned)
{
	taddr_t a = align_up(start), e = align_down(end);

	if (end < start || a < start)
		return;
	while (a < e) {
		taddr_t next_page = (a | (PAGE - 1)) + 1;
		size_t len = e - a < CHUNK ? (size_t)(e - a) : CHUNK;
		long r = c->read(c->rctx, a, c->buf, len);

		/* a reader may refuse a whole read for one bad page */
		if (r < (long)WORD && len > next_page - a)
			r = c->read(c->rctx, a, c->buf, next_page - a);
		if (r >= (long)WORD) {
			size_t nw = (size_t)r / WORD;
			c->cur_base = a;
			scan_words(c, c->buf, nw, mode);
			*scanned += nw * WORD;
			a += nw * WORD;
			continue;
		}
		if (next_page > e || next_page < a)
			next_page = e;
		c->stats->unreadable += next_page - a;
		a = next_page;
	}
}

/*
 * Decide once what valgrind's heuristics would say of an interior
 * pointer at +8 and at +24 into block I, from its size and first two
 * words (W, NW of them, or read here if W is NULL).
 */
static void heuristics_for(struct ctx *c, size_t i, const uint64_t *w,
			   size_t nw)
{
	struct scan_block *b = &c->b[i];
	uint64_t word[2];
	unsigned h = SCAN_HEUR_NONE;
	size_t need;

	if (!(c->flags & SCAN_HEURISTICS) || b->size <= WORD)
		return;
	need = b->size > 3 * WORD ? 2 : 1; /* w[1] only for stdstring */
	if (!w || nw < need) {
		long r = c->read(c->rctx, b->addr, word, need * WORD);
		if (r < (long)WORD)
			return;
		nw = (size_t)r / WORD;
		w = word;
	}
	/* length64: a pointer past a 64-bit length of the rest (sqlite);
	 * newarray: past new[]'s element count */
	if (w[0] > 0 && b->size - WORD == w[0])
		h = SCAN_HEUR_LENGTH64;
	else if (w[0] > 0 && (b->size - WORD) % w[0] == 0)
		h = SCAN_HEUR_NEWARRAY;
	c->st[i] |= (uint8_t)(h << ST_H8_SHIFT);
	/* stdstring: length, capacity, refcount, then the chars and '\0' */
	if (b->size > 3 * WORD && nw >= 2 && 3 * WORD + w[1] + 1 == b->size &&
	    w[0] <= w[1])
		c->st[i] |= ST_H24;
}

/* Block I's edges, from the words of its contents at W (NW of them), or
 * read here if W is NULL. */
static void block_edges(struct ctx *c, size_t i, const uint64_t *w, size_t nw)
{
	struct scan_block *b = &c->b[i];

	c->cur_start = b->addr;
	if (w) {
		c->cur_base = align_up(b->addr);
		scan_words(c, w, nw, MODE_EDGES);
		c->stats->heap_bytes += nw * WORD;
	} else {
		scan_range(c, b->addr, b->addr + b->size, MODE_EDGES,
			   &c->stats->heap_bytes);
	}
	if (w && b->addr % WORD == 0)
		heuristics_for(c, i, w, nw);
	else
		heuristics_for(c, i, NULL, 0);
	if (c->nedges > UINT32_MAX) {
		/* 16 GiB of edges: as good as out of memory */
		error("more than 2^32 heap words point into blocks");
		abort();
	}
	c->first[i + 1] = (uint32_t)c->nedges;
}

/* Read every block once, in address order, blocks close together in one
 * read, and record their edges. */
static void build_edges(struct ctx *c)
{
	size_t i = 0;

	c->first[0] = 0;
	while (i < c->n) {
		const struct scan_block *b = &c->b[i];
		taddr_t s = align_up(b->addr),
			e = align_down(b->addr + b->size);
		taddr_t gend = e, have;
		size_t k;
		long r;

		if (e <= s) {
			block_edges(c, i++, c->buf, 0); /* no whole word */
			continue;
		}
		if (e - s > CHUNK / 2) {
			block_edges(c, i++, NULL, 0); /* big: read alone */
			continue;
		}
		for (k = i + 1; k < c->n; k++) {
			const struct scan_block *nb = &c->b[k];
			taddr_t ns = align_up(nb->addr);
			taddr_t ne = align_down(nb->addr + nb->size);
			if (ne <= ns)
				continue;
			if (ne - s > CHUNK || ns - gend > GAP)
				break;
			gend = ne;
		}
		r = c->read(c->rctx, s, c->buf, gend - s);
		have = s + (r > 0 ? (size_t)r & ~(size_t)(WORD - 1) : 0);
		for (; i < k; i++) {
			taddr_t bs = align_up(c->b[i].addr);
			taddr_t be = align_down(c->b[i].addr + c->b[i].size);
			/* a block the read did not wholly get is read
			 * alone, to count what is unreadable */
			if (be <= bs)
				block_edges(c, i, c->buf, 0);
			else if (be <= have)
				block_edges(c, i, c->buf + (bs - s) / WORD,
					    (be - bs) / WORD);
			else
				block_edges(c, i, NULL, 0);
		}
	}
}

static void ctx_init(struct ctx *c, struct scan_input *in,
		     struct scan_stats *st)
{
	size_t n = in->nblocks, nbuckets, j = 0;
	const struct scan_block *last = &in->blocks[n - 1];

	memset(c, 0, sizeof(*c));
	c->b = in->blocks;
	c->n = n;
	c->read = in->read;
	c->rctx = in->read_ctx;
	c->flags = in->flags;
	c->stats = st;
	c->leader = -1;
	c->lo = in->blocks[0].addr;
	c->span = last->addr - c->lo + block_len(last);
	BUG_ON(c->span < block_len(last)); /* wrapped */

	/* about one bucket per block */
	while (c->shift < 63 && ((c->span - 1) >> c->shift) + 1 > n)
		c->shift++;
	nbuckets = (size_t)((c->span - 1) >> c->shift) + 1;
	c->bucket = xmalloc((nbuckets + 1) * sizeof(*c->bucket));
	for (size_t k = 0; k <= nbuckets; k++) {
		taddr_t bstart = c->lo + ((taddr_t)k << c->shift);
		while (j < n && (k == nbuckets || c->b[j].addr < bstart))
			j++;
		c->bucket[k] = (uint32_t)j;
	}

	c->st = xcalloc(n, 1);
	c->first = xmalloc((n + 1) * sizeof(*c->first));
	/* pages of it that are never reached are never touched */
	c->stack = xmalloc(n * sizeof(*c->stack));
	c->buf = xmalloc(CHUNK);
	c->clique = in->clique;
	c->want_holders = in->holders != NULL;
}

static void ctx_release(struct ctx *c)
{
	free(c->bucket);
	free(c->st);
	free(c->first);
	free(c->edge);
	free(c->stack);
	free(c->buf);
	free(c->cl);
	free(c->srcoff);
	free(c->hits);
	free(c->hit_class);
}

void scan_classify(struct scan_input *in, struct scan_stats *stats)
{
	struct scan_stats dummy;
	struct scan_block *b = in->blocks;
	size_t n = in->nblocks;
	struct ctx c;

	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	in->cliques = NULL;
	in->ncliques = 0;
	if (in->holders)
		memset(in->holders, 0, sizeof(*in->holders));
	if (!n)
		return;
	BUG_ON(n > EDGE_INDEX);
	for (size_t i = 0; i < n; i++) {
		BUG_ON(i && b[i].addr < b[i - 1].addr);
		BUG_ON(i && b[i].addr - b[i - 1].addr < block_len(&b[i - 1]));
		b[i].heuristic = SCAN_HEUR_NONE;
		if (in->clique)
			in->clique[i] = (uint32_t)i;
	}
	ctx_init(&c, in, stats);
	build_edges(&c);

	/* phase 1: from the roots (memory, then registers), then through
	 * the blocks; a block is scanned as what it is when popped */
	for (size_t r = 0; r < in->nroots; r++) {
		c.cur_root = (uint32_t)r;
		c.cur_start = in->roots[r].start;
		scan_range(&c, in->roots[r].start, in->roots[r].end, MODE_ROOT,
			   &stats->root_bytes);
	}
	for (size_t k = 0; k < in->nroot_words; k++) {
		uint32_t e;
		if (!word_edge(&c, in->root_words[k], &e))
			continue;
		mark(&c, e, true);
		if (c.want_holders) {
			c.cur_root = (uint32_t)(in->nroots + k);
			add_hit(&c, 0, in->root_words[k], e);
		}
	}
	while (c.top) {
		size_t i = c.stack[--c.top];
		bool prior_def = reach_of(&c, i) != R_POSSIBLE;
		c.st[i] &= (uint8_t)~ST_PENDING;
		for (size_t k = c.first[i]; k < c.first[i + 1]; k++)
			mark(&c, c.edge[k], prior_def);
	}

	/* phase 2: lost cliques, leaders in address order; the bit the
	 * stdstring heuristic used marks leaders with totals from now on */
	for (size_t i = 0; i < n; i++)
		c.st[i] &= (uint8_t)~ST_HAS_CLIQUE;
	for (size_t l = 0; l < n; l++) {
		if (reach_of(&c, l) != R_UNREACHED)
			continue;
		c.st[l] |= ST_LEADER;
		c.leader = (long)l;
		push(&c, l);
		while (c.top) {
			size_t i = c.stack[--c.top];
			c.st[i] &= (uint8_t)~ST_PENDING;
			for (size_t k = c.first[i]; k < c.first[i + 1]; k++)
				gather(&c, c.edge[k]);
		}
	}

	/* a leader taken into a later clique points at that later leader:
	 * resolve those chains from the top, then every member */
	for (size_t i = n; c.clique && i-- > 0;) {
		if ((c.st[i] & ST_LEADER) && reach_of(&c, i) == R_INDIRECT &&
		    reach_of(&c, c.clique[i]) == R_INDIRECT)
			c.clique[i] = c.clique[c.clique[i]];
	}
	for (size_t i = 0; i < n; i++) {
		switch (reach_of(&c, i)) {
		case R_REACHABLE:
			b[i].kind = LEAK_REACHABLE;
			break;
		case R_POSSIBLE:
			b[i].kind = LEAK_POSSIBLE;
			break;
		case R_INDIRECT:
			b[i].kind = LEAK_INDIRECT;
			if (c.clique && reach_of(&c, c.clique[i]) == R_INDIRECT)
				c.clique[i] = c.clique[c.clique[i]];
			break;
		default:
			b[i].kind = LEAK_DEFINITE;
			break;
		}
	}
	/* the leaders that kept their cliques */
	for (size_t k = 0; k < c.ncl; k++)
		if (c.cl[k].blocks)
			c.cl[in->ncliques++] = c.cl[k];
	if (in->ncliques) {
		in->cliques = c.cl;
		c.cl = NULL;
	}
	if (in->holders) {
		struct scan_graph g = {
		    .n = n,
		    .b = b,
		    .first = c.first,
		    .edge = c.edge,
		    .srcoff = c.srcoff,
		    .hits = c.hits,
		    .nhits = c.nhits,
		    .hit_class = c.hit_class,
		    .roots = in->roots,
		    .nroots = in->nroots,
		};
		c.hits = NULL; /* holders_compute takes them */
		c.first = c.edge = c.srcoff = NULL;
		/* what the classification alone needed, out of the way */
		free(c.stack);
		free(c.st);
		free(c.bucket);
		free(c.buf);
		c.stack = NULL;
		c.st = NULL;
		c.bucket = NULL;
		c.buf = NULL;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		holders_compute(&g, in->holders);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		stats->holders_ns =
		    (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
		    (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
	}
	ctx_release(&c);
}
