/*
 * test_depot: interning call stacks.  Same frames, same id; different
 * frames (even a prefix, or the same frames in another order), another id;
 * ids are 1, 2, 3, ... in order of first sight; what get returns is what was
 * interned, truncated at STACK_MAX_FRAMES.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "leakcheck/depot.h"
#include "leakcheck/util.h"

/* Stack number I: 1..40 frames of code-like addresses, unique per I. */
static unsigned make_stack(size_t i, taddr_t *pcs)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL + 1;
	unsigned n = 1 + i % 40;

	pcs[0] = 0x555555554000ULL + i * 4; /* makes the stack unique */
	for (unsigned k = 1; k < n; k++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		pcs[k] = 0x7ffff7a00000ULL + (x & 0xffffff);
	}
	return n;
}

static int frames_equal(const taddr_t *got, unsigned ngot, const taddr_t *want,
			unsigned nwant)
{
	return got && ngot == nwant &&
	       !memcmp(got, want, nwant * sizeof(*want));
}

static void test_basic(void)
{
	struct stack_depot d;
	taddr_t a[] = {0x401136, 0x401180, 0x7ffff7829d90};
	taddr_t a_copy[] = {0x401136, 0x401180, 0x7ffff7829d90};
	taddr_t b[] = {0x401136, 0x401180, 0x7ffff7829d91};
	taddr_t rev[] = {0x7ffff7829d90, 0x401180, 0x401136};
	const taddr_t *p;
	unsigned n;
	uint32_t ia, ib, ipre, irev;

	stack_depot_init(&d);
	n = 99;
	CHECK(stack_depot_get(&d, 1, &n) == NULL);
	CHECK_EQ_U(n, 0);
	CHECK_EQ_U(stack_depot_intern(&d, a, 0), 0);
	CHECK_EQ_U(stack_depot_intern(&d, NULL, 0), 0);
	n = 99;
	CHECK(stack_depot_get(&d, 0, &n) == NULL);
	CHECK_EQ_U(n, 0);

	ia = stack_depot_intern(&d, a, 3);
	CHECK_EQ_U(ia, 1);
	CHECK_EQ_U(stack_depot_intern(&d, a_copy, 3), ia);
	CHECK_EQ_U(stack_depot_intern(&d, a, 3), ia);
	ib = stack_depot_intern(&d, b, 3);
	CHECK_EQ_U(ib, 2);
	ipre = stack_depot_intern(&d, a, 2);
	CHECK(ipre != ia && ipre != ib && ipre != 0);
	irev = stack_depot_intern(&d, rev, 3);
	CHECK(irev != ia && irev != ib && irev != ipre && irev != 0);
	CHECK_EQ_U(stack_depot_intern(&d, a, 2), ipre);
	CHECK_EQ_U(d.lookups, 7);
	CHECK_EQ_U(d.hits, 3);

	p = stack_depot_get(&d, ia, &n);
	CHECK(frames_equal(p, n, a, 3));
	p = stack_depot_get(&d, ib, &n);
	CHECK(frames_equal(p, n, b, 3));
	p = stack_depot_get(&d, ipre, &n);
	CHECK(frames_equal(p, n, a, 2));
	p = stack_depot_get(&d, irev, &n);
	CHECK(frames_equal(p, n, rev, 3));

	/* unknown ids */
	n = 99;
	CHECK(stack_depot_get(&d, 5, &n) == NULL);
	CHECK_EQ_U(n, 0);
	n = 99;
	CHECK(stack_depot_get(&d, UINT32_MAX, &n) == NULL);
	CHECK_EQ_U(n, 0);
	CHECK(stack_depot_memory(&d) > 0);

	stack_depot_release(&d);
	CHECK(stack_depot_get(&d, 1, &n) == NULL);
	CHECK_EQ_U(stack_depot_memory(&d), 0);
	/* usable again after release */
	CHECK_EQ_U(stack_depot_intern(&d, b, 3), 1);
	stack_depot_release(&d);
}

static void test_truncate(void)
{
	struct stack_depot d;
	taddr_t pcs[300];
	const taddr_t *p;
	unsigned n;
	uint32_t id;

	for (unsigned i = 0; i < ARRAY_SIZE(pcs); i++)
		pcs[i] = 0x400000 + i * 8;
	stack_depot_init(&d);
	id = stack_depot_intern(&d, pcs, 300);
	CHECK(id != 0);
	p = stack_depot_get(&d, id, &n);
	CHECK_EQ_U(n, STACK_MAX_FRAMES);
	CHECK(frames_equal(p, n, pcs, STACK_MAX_FRAMES));
	/* the kept frames are the innermost ones: any longer stack with the
	 * same first 255 frames is the same stack */
	CHECK_EQ_U(stack_depot_intern(&d, pcs, STACK_MAX_FRAMES), id);
	CHECK_EQ_U(stack_depot_intern(&d, pcs, STACK_MAX_FRAMES + 1), id);
	pcs[299] = 1;
	CHECK_EQ_U(stack_depot_intern(&d, pcs, 300), id);
	CHECK(stack_depot_intern(&d, pcs, STACK_MAX_FRAMES - 1) != id);
	/* 255 fits the length field exactly */
	id = stack_depot_intern(&d, pcs + 1, STACK_MAX_FRAMES);
	p = stack_depot_get(&d, id, &n);
	CHECK(frames_equal(p, n, pcs + 1, STACK_MAX_FRAMES));
	stack_depot_release(&d);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_many(void)
{
	struct stack_depot d;
	size_t nst = 100000, bad = 0, bad_get = 0, total_frames = 0, overhead;
	taddr_t pcs[64];
	const taddr_t *p;
	unsigned n, got;

	stack_depot_init(&d);
	for (size_t i = 0; i < nst; i++) {
		n = make_stack(i, pcs);
		total_frames += n;
		/* new stacks get the next id */
		bad += stack_depot_intern(&d, pcs, n) != i + 1;
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(d.nstacks, nst + 1);
	CHECK_EQ_U(d.hits, 0);
	CHECK_EQ_U(d.npcs, total_frames);

	/* again, in another order: all hits, same ids */
	for (size_t k = 0; k < nst; k++) {
		size_t i = (k * 7919) % nst;

		n = make_stack(i, pcs);
		bad += stack_depot_intern(&d, pcs, n) != i + 1;
		p = stack_depot_get(&d, i + 1, &got);
		bad_get += !frames_equal(p, got, pcs, n);
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(bad_get, 0);
	CHECK_EQ_U(d.hits, nst);
	CHECK_EQ_U(d.lookups, 2 * nst);
	CHECK_EQ_U(d.nstacks, nst + 1);

	/* one more frame at the end makes each of them new */
	for (size_t i = 0; i < 1000; i++) {
		n = make_stack(i, pcs);
		pcs[n] = 0x1234;
		bad += stack_depot_intern(&d, pcs, n + 1) != nst + 1 + i;
	}
	CHECK_EQ_U(bad, 0);
	p = stack_depot_get(&d, nst + 1000, &got);
	n = make_stack(999, pcs);
	pcs[n] = 0x1234;
	CHECK(frames_equal(p, got, pcs, n + 1));

	/*
	 * The hash spreads: 101k random 32-bit values have about one pair of
	 * duplicates (n^2 / 2^33).  Many more means long probe runs.
	 */
	{
		uint32_t *h = xmalloc((d.nstacks - 1) * sizeof(*h));
		size_t dups = 0;

		memcpy(h, d.hashes + 1, (d.nstacks - 1) * sizeof(*h));
		qsort(h, d.nstacks - 1, sizeof(*h), cmp_u32);
		for (size_t i = 1; i < d.nstacks - 1; i++)
			dups += h[i] == h[i - 1];
		CHECK(dups <= 20);
		free(h);
	}

	/* fixed cost per stack besides its frames */
	overhead = stack_depot_memory(&d) - d.pcs_cap * sizeof(*d.pcs);
	printf("depot: %zu stacks, %.1f bytes/stack besides frames\n",
	       d.nstacks - 1, (double)overhead / (d.nstacks - 1));
	CHECK(overhead <= 40 * d.nstacks);
	CHECK(d.pcs_cap * sizeof(*d.pcs) <= 2 * d.npcs * sizeof(*d.pcs));
	stack_depot_release(&d);
}

/* Interning frames that live in the depot itself, across its growth. */
static void test_alias(void)
{
	struct stack_depot d;
	taddr_t pcs[64], want[64];
	size_t bad = 0;
	uint32_t id, nid;
	const taddr_t *p;
	unsigned n, got;

	stack_depot_init(&d);
	for (size_t i = 0; i < 20000; i++) {
		n = make_stack(i, pcs);
		stack_depot_intern(&d, pcs, n);
	}
	for (size_t i = 0; i < 20000; i++) {
		id = 1 + (i * 7) % 20000;
		p = stack_depot_get(&d, id, &n);
		memcpy(want, p, n * sizeof(*p));
		/* the same frames: a hit */
		bad += stack_depot_intern(&d, p, n) != id;
		if (n < 2)
			continue;
		/* the outer frames only: new, stored from our own array */
		p = stack_depot_get(&d, id, &n);
		nid = stack_depot_intern(&d, p + 1, n - 1);
		p = stack_depot_get(&d, nid, &got);
		bad += !frames_equal(p, got, want + 1, n - 1);
	}
	CHECK_EQ_U(bad, 0);
	stack_depot_release(&d);
}

int main(void)
{
	test_basic();
	test_truncate();
	test_many();
	test_alias();
	return check_done("depot");
}
