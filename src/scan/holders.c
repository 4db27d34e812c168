/*
 * holders: who holds each block, and what each holder alone keeps alive.
 *
 * Runs inside scan_classify() when the caller asks (scan_input.holders),
 * on the graph the classifier built from its single read of every block
 * (internal.h): no tracee memory is read here.
 *
 * The nodes: a super-root S; the hits (root words that point into a
 * block, one node each, so that two globals holding one block are two
 * holders); the blocks.  The edges: S -> every hit, S -> every
 * definitely lost block, hit -> its block, block -> the blocks its words
 * point into, except from a lost block into a live one (garbage must not
 * change what live holders retain, and a live block is never reached
 * from the lost side otherwise).
 *
 * Links (the chains): a breadth-first walk in three rounds, each block
 * linked once, by the first pointer that reaches it:
 *   1. from the hits that are start-pointers, through start-pointers
 *      only: a still reachable block gets a shortest chain of the kind
 *      that made it reachable (hits in root order, a stack's from the
 *      top: the outermost frame that holds a block is its holder);
 *   2. from every hit, through every pointer (the blocks of round 1
 *      first, in their order): possibly lost blocks, and blocks reached
 *      through an interior pointer a heuristic accepted;
 *   3. from each definitely lost block in address order, through every
 *      pointer: the indirectly lost ones.
 *
 * Dominators: Cooper, Harvey and Kennedy's iterative algorithm ("A
 * Simple, Fast Dominance Algorithm") over a depth-first postorder from S,
 * predecessors in a compressed array.  Retained sizes are then summed up
 * the tree, children first (a dominator finishes after the nodes it
 * dominates, so postorder is children first).
 *
 * Memory while it runs, per node (hits and blocks): 8 bytes for the link
 * (kept), 4 each for the postorder number, the node at each number and
 * the first predecessor, and 4 per kept edge for the predecessors, while
 * the scan's graph (4 bytes a block, 8 an edge) is freed as soon as it
 * is not needed: the offsets after the links, the edges once the
 * predecessors are made; then 4 for the dominator and the results.  The
 * depth-first stack is as deep as the longest path, 8 bytes a level.
 * Kept afterwards: 24 bytes a block, 32 a hit.  Measured with
 * bench/holders1m (1M blocks): see README, "Holders at scale".
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/scan.h"
#include "leakcheck/util.h"

#define UNSET UINT32_MAX

static inline bool live(const struct scan_block *b)
{
	return b->kind == LEAK_REACHABLE || b->kind == LEAK_POSSIBLE;
}

/* Is edge K of block I (target T) in the graph of the dominators? */
static inline bool kept(const struct scan_graph *g, size_t i, size_t t)
{
	return live(&g->b[i]) || !live(&g->b[t]);
}

/* Walk from Q[*HEAD] to the end of the queue; ANY: every pointer, else
 * start-pointers only. */
static void walk(const struct scan_graph *g, struct scan_link *l, uint8_t *seen,
		 uint32_t *q, size_t *head, size_t *tail, bool any)
{
	while (*head < *tail) {
		size_t i = q[(*head)++];
		for (size_t k = g->first[i]; k < g->first[i + 1]; k++) {
			size_t t = g->edge[k] & EDGE_INDEX;
			if (seen[t] || !kept(g, i, t))
				continue;
			if (!any && g->edge[k] >> EDGE_SHIFT != E_START)
				continue;
			seen[t] = 1;
			l[t] = (struct scan_link){.from = (uint32_t)i,
						  .from_off = g->srcoff[k]};
			q[(*tail)++] = (uint32_t)t;
		}
	}
}

static inline bool is_stack(const struct scan_graph *g, uint32_t root)
{
	return root < g->nroots && (g->roots[root].kind == ROOT_STACK ||
				    g->roots[root].kind == ROOT_BLOCK_STACK);
}

/* Link the block of hit K to it, if ANY or it is a start-pointer. */
static void hit_seed(const struct scan_graph *g, struct scan_link *l,
		     uint8_t *seen, uint32_t *q, size_t *tail, bool any,
		     size_t k)
{
	const struct scan_root_hit *hit = &g->hits[k];

	if (seen[hit->block] || (!any && g->hit_class[k] != E_START))
		return;
	seen[hit->block] = 1;
	l[hit->block] = (struct scan_link){
	    .from = SCAN_HOLDER_HIT | (uint32_t)k,
	    .from_off =
		hit->off < UINT32_MAX ? (uint32_t)hit->off : UINT32_MAX};
	q[(*tail)++] = hit->block;
}

/*
 * The hits in root order, but a stack's from its top down, so that a
 * block gets the outermost frame that holds it (the caller's variable,
 * not a callee's saved copy of the register that held it, nor a dead
 * word below sp).
 */
static void hit_seeds(const struct scan_graph *g, struct scan_link *l,
		      uint8_t *seen, uint32_t *q, size_t *tail, bool any)
{
	for (size_t lo = 0, hi; lo < g->nhits; lo = hi + 1) {
		uint32_t r = g->hits[lo].root;
		bool down = is_stack(g, r);
		for (hi = lo; hi + 1 < g->nhits && g->hits[hi + 1].root == r;)
			hi++;
		for (size_t j = lo; j <= hi; j++)
			hit_seed(g, l, seen, q, tail, any,
				 down ? lo + hi - j : j);
	}
}

static void links(const struct scan_graph *g, struct scan_link *l)
{
	size_t n = g->n, head = 0, tail = 0;
	uint32_t *q = xmalloc(n * sizeof(*q));
	uint8_t *seen = xcalloc(n, 1);

	for (size_t i = 0; i < n; i++)
		l[i] = (struct scan_link){.from = SCAN_NO_HOLDER};
	hit_seeds(g, l, seen, q, &tail, false);
	walk(g, l, seen, q, &head, &tail, false);
	hit_seeds(g, l, seen, q, &tail, true);
	head = 0;
	walk(g, l, seen, q, &head, &tail, true);
	for (size_t i = 0; i < n; i++) {
		if (seen[i] || g->b[i].kind != LEAK_DEFINITE)
			continue;
		seen[i] = 1;
		q[tail++] = (uint32_t)i;
		walk(g, l, seen, q, &head, &tail, true);
	}
	free(seen);
	free(q);
}

/* ---- dominators ---- */

struct dom {
	const struct scan_graph *g;
	size_t nnodes;	   /* 1 + nhits + n */
	uint32_t *po;	   /* node -> postorder number, UNSET if not reached */
	uint32_t *node_of; /* postorder number -> node */
	uint32_t nvisited;
	uint32_t *pfirst, *pred; /* predecessors, by postorder number */
};

static inline uint32_t hit_node(size_t k)
{
	return (uint32_t)(1 + k);
}

static inline uint32_t block_node(const struct dom *d, size_t i)
{
	return (uint32_t)(1 + d->g->nhits + i);
}

/* S's children: the hits, then the definitely lost blocks and any block
 * nothing else reaches (none, if the classification is consistent). */
static inline bool s_child_block(const struct scan_graph *g, size_t i)
{
	return g->b[i].kind == LEAK_DEFINITE;
}

/* Child number *IT of NODE, or UNSET when there are no more. */
static uint32_t next_child(const struct dom *d, uint32_t node, size_t *it)
{
	const struct scan_graph *g = d->g;

	if (node == 0) {
		while (*it < g->nhits + g->n) {
			size_t k = (*it)++;
			if (k < g->nhits)
				return hit_node(k);
			if (s_child_block(g, k - g->nhits))
				return block_node(d, k - g->nhits);
		}
		return UNSET;
	}
	if (node <= g->nhits) {
		if ((*it)++)
			return UNSET;
		return block_node(d, g->hits[node - 1].block);
	}
	size_t i = node - 1 - g->nhits;
	for (;;) {
		size_t k = g->first[i] + *it;
		if (k >= g->first[i + 1])
			return UNSET;
		(*it)++;
		size_t t = g->edge[k] & EDGE_INDEX;
		if (t != i && kept(g, i, t))
			return block_node(d, t);
	}
}

/* Number the nodes reached from S in postorder, without recursion. */
static void postorder(struct dom *d)
{
	struct frame {
		uint32_t node;
		uint32_t it; /* S's: < 2^31 hits plus < 2^30 blocks */
	} *st = NULL;
	size_t top = 0, cap = 0;
	uint32_t next = 0;

	for (size_t v = 0; v < d->nnodes; v++)
		d->po[v] = UNSET;
	d->po[0] = 0; /* on the stack: anything but UNSET */
	/* as deep as the longest path: grown as needed, not sized for all */
	st = xgrow(st, &cap, 1, sizeof(*st));
	st[top++] = (struct frame){.node = 0};
	while (top) {
		struct frame *f = &st[top - 1];
		size_t it = f->it;
		uint32_t c = next_child(d, f->node, &it);
		f->it = (uint32_t)it;
		if (c == UNSET) {
			d->po[f->node] = next;
			d->node_of[next++] = f->node;
			top--;
		} else if (d->po[c] == UNSET) {
			d->po[c] = 0;
			st = xgrow(st, &cap, top + 1, sizeof(*st));
			st[top++] = (struct frame){.node = c};
		}
	}
	d->nvisited = next;
	free(st);
}

/* Every node's predecessors, by postorder number both: the ones of the
 * node numbered P are pred[pfirst[P] .. pfirst[P + 1]).  Edges of a
 * block into itself are left out (they change no dominator). */
static void preds(struct dom *d)
{
	uint32_t nv = d->nvisited, *cnt = xcalloc(nv + 1, sizeof(*cnt));
	size_t np, it;

	for (int fill = 0; fill < 2; fill++) {
		for (uint32_t p = 0; p < nv; p++) {
			uint32_t u = d->node_of[p], c;
			it = 0;
			while ((c = next_child(d, u, &it)) != UNSET) {
				uint32_t q = d->po[c];
				if (fill)
					d->pred[cnt[q]++] = p;
				else
					cnt[q + 1]++;
			}
		}
		if (fill)
			break;
		for (uint32_t p = 0; p < nv; p++)
			cnt[p + 1] += cnt[p];
		np = cnt[nv];
		d->pred = xmalloc((np ? np : 1) * sizeof(*d->pred));
	}
	/* each start was moved to the next one's: shift them back */
	for (uint32_t p = nv; p > 0; p--)
		cnt[p] = cnt[p - 1];
	cnt[0] = 0;
	d->pfirst = cnt;
}

static inline uint32_t intersect(const uint32_t *doms, uint32_t a, uint32_t b)
{
	while (a != b) {
		while (a < b)
			a = doms[a];
		while (b < a)
			b = doms[b];
	}
	return a;
}

/* doms[p]: the postorder number of the immediate dominator of the node
 * numbered P (S is its own). */
static void dominators(struct dom *d, uint32_t *doms)
{
	uint32_t s = d->nvisited - 1;
	bool changed = true;

	for (uint32_t p = 0; p < s; p++)
		doms[p] = UNSET;
	doms[s] = s;
	while (changed) {
		changed = false;
		for (uint32_t p = s; p-- > 0;) {
			uint32_t nd = UNSET;
			for (size_t k = d->pfirst[p]; k < d->pfirst[p + 1];
			     k++) {
				uint32_t q = d->pred[k];
				if (doms[q] == UNSET)
					continue;
				nd = nd == UNSET ? q : intersect(doms, q, nd);
			}
			if (doms[p] != nd) {
				doms[p] = nd;
				changed = true;
			}
		}
	}
}

/* A node as scan_holders names a holder. */
static inline uint32_t holder_of(const struct scan_graph *g, uint32_t node)
{
	if (node == 0)
		return SCAN_NO_HOLDER;
	if (node <= g->nhits)
		return SCAN_HOLDER_HIT | (node - 1);
	return node - 1 - (uint32_t)g->nhits;
}

void holders_compute(struct scan_graph *g, struct scan_holders *h)
{
	size_t n = g->n;
	struct dom d = {.g = g, .nnodes = 1 + g->nhits + n};
	uint32_t *doms;

	BUG_ON(g->nhits >= SCAN_HOLDER_HIT || d.nnodes >= UNSET);
	h->nblocks = n;
	h->hits = g->hits;
	h->nhits = g->nhits;
	h->link = xmalloc(n * sizeof(*h->link));
	links(g, h->link);
	/* the offsets were for the links only */
	free(g->srcoff);
	g->srcoff = NULL;

	d.po = xmalloc(d.nnodes * sizeof(*d.po));
	d.node_of = xmalloc(d.nnodes * sizeof(*d.node_of));
	postorder(&d);
	preds(&d);
	/* the predecessors are all the dominators need of the graph */
	free(g->first);
	free(g->edge);
	g->first = g->edge = NULL;
	doms = xmalloc(d.nvisited * sizeof(*doms));
	dominators(&d, doms);
	free(d.pfirst);
	free(d.pred);

	h->idom = xmalloc(n * sizeof(*h->idom));
	for (size_t i = 0; i < n; i++) {
		uint32_t p = d.po[block_node(&d, i)];
		/* XXX: not reached from S (UNSET) cannot happen with a
		 * consistent classification; such a block retains itself */
		h->idom[i] = p == UNSET ? SCAN_NO_HOLDER
					: holder_of(g, d.node_of[doms[p]]);
	}
	free(d.po);
	/* each node's dominator as a node; then sum up the tree in
	 * postorder (children first), straight into the results */
	for (uint32_t p = 0; p < d.nvisited; p++)
		doms[p] = d.node_of[doms[p]];
	h->retained_bytes = xmalloc(n * sizeof(*h->retained_bytes));
	h->retained_blocks = xmalloc(n * sizeof(*h->retained_blocks));
	for (size_t i = 0; i < n; i++) {
		h->retained_bytes[i] = g->b[i].size;
		h->retained_blocks[i] = 1;
	}
	for (size_t k = 0; k < h->nhits; k++) {
		h->hits[k].retained_bytes = 0;
		h->hits[k].retained_blocks = 0;
	}
	for (uint32_t p = 0; p + 1 < d.nvisited; p++) {
		uint32_t u = d.node_of[p], up = doms[p];
		uint64_t bytes;
		uint32_t blocks;
		if (u > g->nhits) {
			bytes = h->retained_bytes[u - 1 - g->nhits];
			blocks = h->retained_blocks[u - 1 - g->nhits];
		} else {
			bytes = h->hits[u - 1].retained_bytes;
			blocks = h->hits[u - 1].retained_blocks;
		}
		if (up > g->nhits) {
			h->retained_bytes[up - 1 - g->nhits] += bytes;
			h->retained_blocks[up - 1 - g->nhits] += blocks;
		} else if (up > 0) {
			h->hits[up - 1].retained_bytes += bytes;
			h->hits[up - 1].retained_blocks += blocks;
		}
	}
	free(doms);
	free(d.node_of);
}

void scan_holders_release(struct scan_holders *h)
{
	free(h->link);
	free(h->idom);
	free(h->retained_blocks);
	free(h->retained_bytes);
	free(h->hits);
	memset(h, 0, sizeof(*h));
}

size_t scan_holders_chain(const struct scan_holders *h, size_t i,
			  uint32_t *chain, size_t max)
{
	size_t len = 1, pos;
	uint32_t cur = (uint32_t)i, from;

	BUG_ON(max < 1 || i >= h->nblocks);
	/* links form a tree: each block was linked from one reached
	 * before it, so this ends */
	while ((from = h->link[cur].from) != SCAN_NO_HOLDER) {
		len++;
		if (from & SCAN_HOLDER_HIT)
			break;
		cur = from;
	}
	chain[(len <= max ? len : max) - 1] = (uint32_t)i;
	cur = (uint32_t)i;
	for (pos = len - 1; pos > 0; pos--) {
		from = h->link[cur].from;
		if (pos - 1 < max - 1)
			chain[pos - 1] = from;
		cur = from;
	}
	return len;
}
