/*
 * scan's own: the graph classify.c builds, handed to holders.c.
 * No other module includes this.
 */
#ifndef LEAKCHECK_SCAN_INTERNAL_H
#define LEAKCHECK_SCAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "leakcheck/scan.h"

/* An edge: target block index, and where into the target it points. */
enum edge_class {
	E_START = 0, /* at the start */
	E_INTERIOR,  /* anywhere else inside */
	E_OFF8,	     /* at +8: length64 or newarray may accept it */
	E_OFF24,     /* at +24: stdstring may accept it */
};
#define EDGE_SHIFT 30
#define EDGE_INDEX ((1u << EDGE_SHIFT) - 1)

/*
 * The blocks' pointers as classify.c found them: block i's edges are
 * edge[first[i] .. first[i + 1]), each index | class << EDGE_SHIFT; the
 * pointer of edge k lies srcoff[k] bytes into its block (UINT32_MAX if
 * that far or farther).  The hits are the root words that point into blocks.
 */
struct scan_graph {
	size_t n;
	const struct scan_block *b;
	uint32_t *first, *edge; /* malloc'd: holders_compute frees them */
	uint32_t *srcoff;
	struct scan_root_hit *hits; /* handed over to scan_holders */
	size_t nhits;
	const uint8_t *hit_class;	/* enum edge_class of each hit */
	const struct scan_range *roots; /* the ranges the hits index */
	size_t nroots;
};

/* Fill H from G (whose blocks are classified); H takes over G->hits.
 * Frees G's arrays (first, edge, srcoff) as soon as it no longer
 * needs them, and sets them to NULL. */
void holders_compute(struct scan_graph *g, struct scan_holders *h);

#endif
