/*
 * loss: group classified blocks into loss records and count the summary.
 *
 * A loss record is every block of one kind allocated from one stack (one
 * depot id), as memcheck's LossRecordKey is (state, allocated_at).  Blocks
 * with no stack (stack id 0, e.g. HB_PRE_ATTACH blocks found by the heap
 * walk at attach) are grouped by kind and size instead (record.size).
 *
 * Invariants:
 *  - bytes/blocks of a record count its own blocks only (direct).
 *  - indirect_bytes/blocks are set for LEAK_DEFINITE and LEAK_POSSIBLE
 *    records only: the sums of their blocks' clique totals (scan_clique;
 *    in practice only definitely lost blocks lead cliques), so a block
 *    that is indirectly lost appears both in its own LEAK_INDIRECT record
 *    and in its leader's indirect count (as in memcheck).
 *  - the summary counts each block once, under its own kind: indirect
 *    blocks go to "indirectly lost", never into their leader's numbers.
 *    Blocks that a heuristic (stdstring, ...) let the scan reach are also
 *    counted per heuristic, whatever their kind, as memcheck does.
 *  - records come out in memcheck's order (cmp_LossRecords): total bytes
 *    (direct + indirect) ascending, then kind in enum order (definite,
 *    indirect, possible, reachable, which is memcheck's Reachedness
 *    order), then number of blocks, then stack id (memcheck compares the
 *    ExeContext addresses, older first; our ids grow with interning).
 *
 * Blocks are grouped through a hash index of the records, in one pass in
 * block order: the memory is per record, never per block (a report of
 * millions of blocks must not double leakcheck's peak).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/report.h"
#include "leakcheck/util.h"

static int cmp_record(const void *va, const void *vb)
{
	const struct loss_record *a = va, *b = vb;
	uint64_t ta = a->bytes + a->indirect_bytes;
	uint64_t tb = b->bytes + b->indirect_bytes;
	if (ta != tb)
		return ta < tb ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->blocks != b->blocks)
		return a->blocks < b->blocks ? -1 : 1;
	if (a->stack_id != b->stack_id)
		return a->stack_id < b->stack_id ? -1 : 1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	return 0;
}

/*
 * The records being built and an index of them: open addressing over
 * (kind, stack id, size), record index + 1 per bucket (0: empty), load at
 * most 1/2.  Costs nothing per block, only per record.
 */
struct loss_index {
	struct loss_record *recs;
	size_t nr, rcap;
	uint32_t *bucket;
	size_t mask; /* buckets - 1 */
};

static inline size_t loss_hash(unsigned kind, uint32_t stack_id, uint64_t size)
{
	uint64_t h =
	    (size * 0x9e3779b97f4a7c15ULL) ^ stack_id ^ ((uint64_t)kind << 32);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static void loss_index_grow(struct loss_index *x)
{
	size_t n = x->bucket ? 2 * (x->mask + 1) : 256;

	free(x->bucket);
	x->bucket = xcalloc(n, sizeof(*x->bucket));
	x->mask = n - 1;
	for (size_t r = 0; r < x->nr; r++) {
		const struct loss_record *rec = &x->recs[r];
		size_t b =
		    loss_hash(rec->kind, rec->stack_id, rec->size) & x->mask;

		while (x->bucket[b])
			b = (b + 1) & x->mask;
		x->bucket[b] = (uint32_t)(r + 1);
	}
}

/* The record for (KIND, STACK_ID, SIZE), made if new. */
static struct loss_record *loss_record_get(struct loss_index *x, unsigned kind,
					   uint32_t stack_id, uint64_t size)
{
	size_t b;
	struct loss_record *r;

	if (!x->bucket || 2 * (x->nr + 1) > x->mask + 1)
		loss_index_grow(x);
	for (b = loss_hash(kind, stack_id, size) & x->mask; x->bucket[b];
	     b = (b + 1) & x->mask) {
		r = &x->recs[x->bucket[b] - 1];
		if (r->kind == (enum leak_kind)kind &&
		    r->stack_id == stack_id && r->size == size)
			return r;
	}
	BUG_ON(x->nr >= UINT32_MAX);
	x->recs = xgrow(x->recs, &x->rcap, x->nr + 1, sizeof(*x->recs));
	r = &x->recs[x->nr++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->stack_id = stack_id;
	r->size = size;
	x->bucket[b] = (uint32_t)x->nr;
	return r;
}

struct loss_record *loss_records_build(const struct scan_block *blocks,
				       size_t n,
				       const struct scan_clique *cliques,
				       size_t ncliques, size_t *nrec,
				       struct leak_summary *sum)
{
	struct loss_index x = {0};
	size_t k = 0;

	memset(sum, 0, sizeof(*sum));
	sum->classified = 1;
	x.recs = xgrow(NULL, &x.rcap, 1, sizeof(*x.recs));

	for (size_t i = 0; i < n; i++) {
		const struct scan_block *b = &blocks[i];
		struct loss_record *r;

		BUG_ON(b->kind >= LEAK_NKINDS);
		r = loss_record_get(&x, b->kind, b->stack_id,
				    b->stack_id ? 0 : b->size);
		r->bytes += b->size;
		r->blocks++;
		r->flags |= b->flags;
		/* CLIQUES is sorted by leader, the blocks by index */
		while (k < ncliques && cliques[k].leader < i)
			k++;
		if (k < ncliques && cliques[k].leader == i &&
		    (b->kind == LEAK_DEFINITE || b->kind == LEAK_POSSIBLE)) {
			r->indirect_bytes += cliques[k].bytes;
			r->indirect_blocks += cliques[k].blocks;
		}
		sum->bytes[b->kind] += b->size;
		sum->blocks[b->kind]++;
		if (b->heuristic && b->heuristic < REPORT_NHEURISTICS) {
			sum->heuristic_bytes[b->heuristic] += b->size;
			sum->heuristic_blocks[b->heuristic]++;
		}
	}
	free(x.bucket);

	qsort(x.recs, x.nr, sizeof(*x.recs), cmp_record);
	*nrec = x.nr;
	return x.recs;
}

static int cmp_kind_stack(const void *a, const void *b)
{
	const struct loss_record *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

size_t loss_records_diff(struct loss_record *recs, size_t nrec,
			 const struct loss_record *old, size_t nold)
{
	struct loss_record *sorted = xmalloc((nold + 1) * sizeof(*sorted));
	size_t grew = 0;

	memcpy(sorted, old, nold * sizeof(*sorted));
	qsort(sorted, nold, sizeof(*sorted), cmp_kind_stack);
	for (size_t i = 0; i < nrec; i++) {
		const struct loss_record *o = bsearch(
		    &recs[i], sorted, nold, sizeof(*sorted), cmp_kind_stack);
		recs[i].has_old = o != NULL;
		recs[i].old_bytes = o ? o->bytes : 0;
		recs[i].old_blocks = o ? o->blocks : 0;
		recs[i].old_indirect_bytes = o ? o->indirect_bytes : 0;
		grew += loss_record_grew(&recs[i]) != 0;
	}
	free(sorted);
	return grew;
}

int loss_record_grew(const struct loss_record *r)
{
	return !r->has_old ||
	       r->bytes + r->indirect_bytes >
		   r->old_bytes + r->old_indirect_bytes ||
	       r->blocks > r->old_blocks;
}

/* "160 (32 direct, 128 indirect) bytes in 1 blocks are definitely lost" */
char *report_record_message(const struct loss_record *r)
{
	char total[32], direct[32], indirect[32], blocks[32];

	fmt_thousands(blocks, r->blocks);
	if (r->indirect_bytes > 0)
		return xasprintf(
		    "%s (%s direct, %s indirect) bytes in %s "
		    "blocks are %s",
		    fmt_thousands(total, r->bytes + r->indirect_bytes),
		    fmt_thousands(direct, r->bytes),
		    fmt_thousands(indirect, r->indirect_bytes), blocks,
		    leak_kind_phrase(r->kind));
	return xasprintf("%s bytes in %s blocks are %s",
			 fmt_thousands(direct, r->bytes), blocks,
			 leak_kind_phrase(r->kind));
}

uint64_t report_fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}
