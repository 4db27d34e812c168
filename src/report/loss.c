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
 *    records only: the sums of their blocks' clique totals, so a block
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
 */
#include <stdlib.h>
#include <string.h>

#include "leakcheck/report.h"
#include "leakcheck/util.h"

/* One block's grouping key, and where it came from. */
struct loss_key {
	uint8_t kind;
	uint32_t stack_id;
	uint64_t size; /* stack id 0 only: blocks are grouped by size */
	size_t idx;    /* into the blocks array */
};

static int
cmp_key(const void *va, const void *vb)
{
	const struct loss_key *a = va, *b = vb;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->stack_id != b->stack_id)
		return a->stack_id < b->stack_id ? -1 : 1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	/* stable within a group: block order */
	if (a->idx != b->idx)
		return a->idx < b->idx ? -1 : 1;
	return 0;
}

static int
cmp_record(const void *va, const void *vb)
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

struct loss_record *
loss_records_build(const struct scan_block *blocks, size_t n, size_t *nrec,
		   struct leak_summary *sum)
{
	struct loss_key *keys = xcalloc(n, sizeof(*keys));
	struct loss_record *recs = xcalloc(n, sizeof(*recs));
	size_t nr = 0;

	memset(sum, 0, sizeof(*sum));
	sum->classified = 1;

	for (size_t i = 0; i < n; i++) {
		BUG_ON(blocks[i].kind >= LEAK_NKINDS);
		keys[i].kind = blocks[i].kind;
		keys[i].stack_id = blocks[i].stack_id;
		keys[i].size = blocks[i].stack_id ? 0 : blocks[i].size;
		keys[i].idx = i;
	}
	qsort(keys, n, sizeof(*keys), cmp_key);

	for (size_t i = 0; i < n; i++) {
		const struct scan_block *b = &blocks[keys[i].idx];
		struct loss_record *r;
		uint64_t size = b->stack_id ? 0 : b->size;
		if (nr == 0 || recs[nr - 1].kind != (enum leak_kind)b->kind ||
		    recs[nr - 1].stack_id != b->stack_id ||
		    recs[nr - 1].size != size) {
			r = &recs[nr++];
			r->kind = b->kind;
			r->stack_id = b->stack_id;
			r->size = size;
		} else {
			r = &recs[nr - 1];
		}
		r->bytes += b->size;
		r->blocks++;
		r->flags |= b->flags;
		if (b->kind == LEAK_DEFINITE || b->kind == LEAK_POSSIBLE) {
			r->indirect_bytes += b->indirect_bytes;
			r->indirect_blocks += b->indirect_blocks;
		}
		sum->bytes[b->kind] += b->size;
		sum->blocks[b->kind]++;
		if (b->heuristic && b->heuristic < REPORT_NHEURISTICS) {
			sum->heuristic_bytes[b->heuristic] += b->size;
			sum->heuristic_blocks[b->heuristic]++;
		}
	}
	free(keys);

	qsort(recs, nr, sizeof(*recs), cmp_record);
	*nrec = nr;
	return recs;
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
		const struct loss_record *o =
		    bsearch(&recs[i], sorted, nold, sizeof(*sorted), cmp_kind_stack);
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
	return !r->has_old || r->bytes + r->indirect_bytes >
				      r->old_bytes + r->old_indirect_bytes ||
	       r->blocks > r->old_blocks;
}
