/*
 * test_heap: the heap table against a plain reference.
 *
 * The reference is a set of key indexes: key i has the fixed address
 * key_addr(i), and ref[i] says whether it is live and with what.  Random
 * operations are applied to both and every answer compared; from time to
 * time the whole table is checked (every key, every slot).  Blocks with
 * flags, big sizes or the stack id a slot reserves go to the wide array,
 * the rest to the slots: the random blocks mix them, and an overwrite
 * can move a block from one to the other.  Also: the snapshot and take
 * order, copy independence, and the memory bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "leakcheck/heap.h"
#include "leakcheck/util.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/*
 * Distinct 16-byte aligned addresses: the first half dense like a brk heap,
 * the second half scattered (i * odd is a bijection on 32 bits) like mmap'd
 * arenas.
 */
static uint64_t key_salt;

static taddr_t key_addr(size_t i, size_t nkeys)
{
	if (i < nkeys / 2)
		return 0x555555559000ULL + key_salt + i * 16;
	return 0x7f0000000000ULL + key_salt +
	       (uint64_t)(uint32_t)(i * 0x9e3779b1u) * 16;
}

struct ref {
	int live;
	struct heap_block b;
};

static int blocks_equal(const struct heap_block *a, const struct heap_block *b)
{
	return a->addr == b->addr && a->size == b->size &&
	       a->stack_id == b->stack_id && a->flags == b->flags;
}

/* Every key and every slot agree with REF; returns the number of errors. */
static size_t verify_all(const struct heap_table *t, const struct ref *ref,
			 size_t nkeys)
{
	size_t bad = 0, live = 0, used = 0;

	for (size_t i = 0; i < nkeys; i++) {
		struct heap_block f;
		int found = heap_table_find(t, key_addr(i, nkeys), &f);

		if (ref[i].live) {
			live++;
			bad += !found || !blocks_equal(&f, &ref[i].b);
		} else {
			bad += found;
		}
	}
	/*
	 * Each used slot is reachable from its home: no duplicates, no entry
	 * cut off from its probe run (a cut-off entry would not be found, or
	 * be found with another entry's contents), and no address in both
	 * arrays.
	 */
	for (size_t i = 0; i < t->capacity; i++) {
		struct heap_block f;

		if (!t->slots[i].addr)
			continue;
		used++;
		bad += !heap_table_find(t, t->slots[i].addr, &f) ||
		       f.size != t->slots[i].size;
	}
	for (size_t i = 0; i < t->wide_capacity; i++) {
		struct heap_block f;

		if (!t->wide[i].addr)
			continue;
		used++;
		bad += !heap_table_find(t, t->wide[i].addr, &f) ||
		       !blocks_equal(&f, &t->wide[i]);
	}
	bad += live != t->count;
	bad += used != t->count;
	bad += t->nslots + t->nwide != t->count;
	bad += t->capacity && t->nslots > t->capacity * 4 / 5;
	bad += t->wide_capacity && t->nwide > t->wide_capacity * 4 / 5;
	return bad;
}

static void test_basic(void)
{
	struct heap_table t;
	struct heap_block a = {0x1000, 24, 7, 0},
			  b = {0x2000, 100, 8, HB_PRE_ATTACH};
	struct heap_block a2 = {0x1000, 48, 9, 0}, out, f;

	heap_table_init(&t);
	CHECK(!heap_table_find(&t, 0x1000, &f));
	CHECK_EQ_U(heap_table_remove(&t, 0x1000, &out), 0);
	CHECK_EQ_U(heap_table_memory(&t), 0);

	CHECK_EQ_U(heap_table_insert(&t, &a), 0);
	CHECK_EQ_U(heap_table_insert(&t, &b), 0);
	CHECK_EQ_U(t.count, 2);
	CHECK(heap_table_find(&t, 0x1000, &f) && blocks_equal(&f, &a));
	CHECK(heap_table_find(&t, 0x2000, &f) && blocks_equal(&f, &b));
	CHECK(!heap_table_find(&t, 0x3000, &f));
	CHECK(!heap_table_find(&t, 0, NULL));
	CHECK_EQ_U(heap_table_remove(&t, 0, NULL), 0);

	/* a missed free: overwrite, count unchanged, still counted as alloc */
	CHECK_EQ_U(heap_table_insert(&t, &a2), 1);
	CHECK_EQ_U(t.count, 2);
	CHECK(heap_table_find(&t, 0x1000, &f) && blocks_equal(&f, &a2));
	CHECK_EQ_U(t.total_allocs, 3);
	CHECK_EQ_U(t.total_bytes, 24 + 100 + 48);
	CHECK(heap_table_memory(&t) > 0);

	memset(&out, 0xaa, sizeof(out));
	CHECK_EQ_U(heap_table_remove(&t, 0x1000, &out), 1);
	CHECK(blocks_equal(&out, &a2));
	CHECK_EQ_U(heap_table_remove(&t, 0x1000, &out), 0);
	CHECK(!heap_table_find(&t, 0x1000, NULL));
	CHECK_EQ_U(heap_table_remove(&t, 0x2000, NULL), 1);
	CHECK_EQ_U(t.count, 0);
	CHECK_EQ_U(t.total_frees, 2);
	CHECK_EQ_U(t.total_allocs, 3);

	heap_table_release(&t);
	CHECK(t.slots == NULL && t.capacity == 0 && t.count == 0);
	heap_table_release(&t);
}

/*
 * What a slot cannot hold goes to the wide array and comes back whole:
 * sizes from 2^32 - 1 up, any flags but the heap walk's HB_PRE_ATTACH
 * with no stack, and the stack id a slot uses for that.  An overwrite
 * moves a block between the two arrays.
 */
static void test_wide(void)
{
	static const struct heap_block cases[] = {
	    {0x1000, 0xfffffffeULL, 1, 0},	   /* slot: largest size */
	    {0x1010, 0xffffffffULL, 1, 0},	   /* wide */
	    {0x1020, 1ULL << 40, 2, 0},		   /* wide */
	    {0x1030, 16, 0, HB_PRE_ATTACH},	   /* slot */
	    {0x1040, 16, 3, HB_PRE_ATTACH},	   /* wide: has a stack */
	    {0x1050, 16, 0, 2},			   /* wide: another flag */
	    {0x1060, 16, HEAP_SLOT_PRE_ATTACH, 0}, /* wide: reserved id */
	    {0x1070, 0, UINT32_MAX, 0},		   /* slot: unsampled */
	};
	static const int in_slot[] = {1, 0, 0, 1, 0, 0, 0, 1};
	size_t n = ARRAY_SIZE(cases), got, bad = 0;
	struct heap_table t;
	struct heap_block f, *s;

	heap_table_init(&t);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_U(heap_table_insert(&t, &cases[i]), 0);
	CHECK_EQ_U(t.count, n);
	CHECK_EQ_U(t.nwide, 5);
	for (size_t i = 0; i < n; i++) {
		bad += !heap_table_find(&t, cases[i].addr, &f) ||
		       !blocks_equal(&f, &cases[i]);
		for (size_t k = 0; k < t.capacity; k++)
			bad += t.slots[k].addr == cases[i].addr && !in_slot[i];
	}
	CHECK_EQ_U(bad, 0);

	/* overwrite each block with the next one's contents: the blocks
	 * that change arrays are found with the new contents, once */
	for (size_t i = 0; i < n; i++) {
		struct heap_block b = cases[(i + 1) % n];

		b.addr = cases[i].addr;
		CHECK_EQ_U(heap_table_insert(&t, &b), 1);
		bad +=
		    !heap_table_find(&t, b.addr, &f) || !blocks_equal(&f, &b);
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(t.count, n);
	CHECK_EQ_U(t.nslots + t.nwide, n);

	s = heap_table_take(&t, &got);
	CHECK_EQ_U(got, n);
	for (size_t i = 0; i < n && got == n; i++) {
		struct heap_block b = cases[(i + 1) % n];

		b.addr = cases[i].addr;
		bad += !blocks_equal(&s[i], &b);
	}
	CHECK_EQ_U(bad, 0);
	free(s);
	/* taken: empty, still usable, the totals kept */
	CHECK_EQ_U(t.count, 0);
	CHECK_EQ_U(t.total_allocs, 2 * n);
	CHECK(!heap_table_find(&t, 0x1000, NULL));
	CHECK_EQ_U(heap_table_insert(&t, &cases[1]), 0);
	CHECK(heap_table_find(&t, cases[1].addr, &f) &&
	      blocks_equal(&f, &cases[1]));
	heap_table_release(&t);
}

/*
 * NOPS random operations on NKEYS keys.  The insert probability swings
 * between 20% and 90% so the table grows through several capacities and
 * then drains again at full load.
 */
static void random_ops(struct heap_table *t, struct ref *ref, size_t nkeys,
		       size_t nops, size_t verify_every)
{
	size_t bad = 0, checks = 0;

	for (size_t op = 0; op < nops; op++) {
		uint64_t r = rng();
		size_t i = (r >> 16) % nkeys;
		taddr_t addr = key_addr(i, nkeys);
		unsigned pin = (op / (nops / 6 + 1)) % 2 ? 20 : 90;
		unsigned dice = r % 100;
		size_t before = t->count;

		if (dice < pin) {
			/* now and then a big size: a wide entry */
			uint64_t size = r % 97 ? r >> 40 : (r >> 40) << 20;
			struct heap_block b = {addr, size, (uint32_t)(r >> 8),
					       (uint32_t)(r & 1)};
			int ret = heap_table_insert(t, &b);

			bad += ret != ref[i].live;
			bad += t->count != before + !ref[i].live;
			ref[i].live = 1;
			ref[i].b = b;
		} else if (dice < 95) {
			struct heap_block out;
			int ret = heap_table_remove(t, addr, &out);

			bad += ret != ref[i].live;
			if (ref[i].live)
				bad += !blocks_equal(&out, &ref[i].b);
			bad += t->count != before - ref[i].live;
			ref[i].live = 0;
		} else {
			struct heap_block f;
			int found = heap_table_find(t, addr, &f);

			if (ref[i].live)
				bad += !found || !blocks_equal(&f, &ref[i].b);
			else
				bad += found;
		}
		if (bad && !checks++)
			fprintf(stderr, "first mismatch at op %zu\n", op);
		if ((op + 1) % verify_every == 0)
			bad += verify_all(t, ref, nkeys);
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(verify_all(t, ref, nkeys), 0);
}

static size_t ref_live(const struct ref *ref, size_t nkeys)
{
	size_t n = 0;

	for (size_t i = 0; i < nkeys; i++)
		n += ref[i].live;
	return n;
}

static void check_snapshot(const struct heap_table *t, const struct ref *ref,
			   size_t nkeys)
{
	size_t n = 12345, bad = 0;
	struct heap_block *s = heap_table_snapshot(t, &n);

	CHECK(s != NULL);
	CHECK_EQ_U(n, t->count);
	CHECK_EQ_U(n, ref_live(ref, nkeys));
	for (size_t i = 0; i < n; i++) {
		struct heap_block f;

		bad += i && s[i - 1].addr >= s[i].addr;
		bad += !heap_table_find(t, s[i].addr, &f) ||
		       !blocks_equal(&f, &s[i]);
	}
	/* n live, strictly increasing and each one live: all of them */
	CHECK_EQ_U(bad, 0);
	free(s);
}

/* heap_table_take on a copy of T gives what the snapshot of T gives. */
static void check_take(const struct heap_table *t)
{
	struct heap_table c;
	size_t n, m;
	struct heap_block *s = heap_table_snapshot(t, &n), *k;

	heap_table_copy(&c, t);
	k = heap_table_take(&c, &m);
	CHECK_EQ_U(m, n);
	CHECK(m == n && !memcmp(s, k, n * sizeof(*s)));
	CHECK_EQ_U(c.count, 0);
	CHECK_EQ_U(heap_table_memory(&c), 0);
	free(k);
	free(s);
	heap_table_release(&c);
}

static void test_random(void)
{
	struct heap_table t;
	size_t nkeys;
	struct ref *ref;
	uint64_t allocs, frees;
	size_t live, bad = 0;

	/*
	 * Small tables kept near their load limit (51 of 64, 76 of 96, ...: the
	 * most they hold before growing), with many different key sets: probe
	 * runs wrap around the end of the array all the time, in many shapes.
	 */
	for (unsigned round = 0; round < 64; round++) {
		static const size_t sizes[] = {51, 76, 102, 153};

		nkeys = sizes[round % ARRAY_SIZE(sizes)];
		key_salt = (uint64_t)round << 24;
		ref = xcalloc(nkeys, sizeof(*ref));
		heap_table_init(&t);
		random_ops(&t, ref, nkeys, 10000, 500);
		check_snapshot(&t, ref, nkeys);
		check_take(&t);
		heap_table_release(&t);
		free(ref);
	}
	key_salt = 0;

	/* big: grows to ~285k live blocks, drains, grows again */
	nkeys = 300000;
	ref = xcalloc(nkeys, sizeof(*ref));
	heap_table_init(&t);
	random_ops(&t, ref, nkeys, 2000000, 500000);
	check_snapshot(&t, ref, nkeys);
	check_take(&t);
	allocs = t.total_allocs;
	frees = t.total_frees;
	CHECK(allocs > 0 && frees > 0);
	/* every insert either added a key or overwrote one */
	CHECK(allocs - frees >= t.count);

	/* remove everything */
	live = t.count;
	for (size_t i = 0; i < nkeys; i++) {
		bad += heap_table_remove(&t, key_addr(i, nkeys), NULL) !=
		       ref[i].live;
		ref[i].live = 0;
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(t.count, 0);
	CHECK_EQ_U(t.total_frees, frees + live);
	CHECK_EQ_U(t.total_allocs, allocs);
	CHECK_EQ_U(verify_all(&t, ref, nkeys), 0);
	heap_table_release(&t);
	free(ref);
}

static int cmp_block(const void *a, const void *b)
{
	taddr_t x = ((const struct heap_block *)a)->addr;
	taddr_t y = ((const struct heap_block *)b)->addr;

	return x < y ? -1 : x > y;
}

/* Full 64-bit addresses: every radix pass is used; compare with qsort. */
static void test_snapshot_wide(void)
{
	struct heap_table t;
	size_t n = 200000, got, bad = 0, k = 0;
	struct heap_block *want = xmalloc(n * sizeof(*want)), *s;

	heap_table_init(&t);
	s = heap_table_snapshot(&t, &got);
	CHECK(s != NULL);
	CHECK_EQ_U(got, 0);
	free(s);

	for (size_t i = 0; i < n; i++) {
		struct heap_block b = {rng() | 1, i, (uint32_t)i, 0};

		if (!heap_table_insert(&t, &b))
			want[k++] = b;
	}
	qsort(want, k, sizeof(*want), cmp_block);
	s = heap_table_snapshot(&t, &got);
	CHECK_EQ_U(got, k);
	for (size_t i = 0; i < k && got == k; i++)
		bad += !blocks_equal(&s[i], &want[i]);
	CHECK_EQ_U(bad, 0);
	free(s);
	check_take(&t);

	/* one block */
	heap_table_release(&t);
	heap_table_insert(&t, &want[0]);
	s = heap_table_snapshot(&t, &got);
	CHECK_EQ_U(got, 1);
	CHECK(blocks_equal(&s[0], &want[0]));
	free(s);

	/*
	 * All keys but one share their high bytes, in both directions: the
	 * byte passes that look skippable are not.  Then pairs of keys,
	 * which land in either order in the slots.
	 */
	for (unsigned c = 0; c < 16; c++) {
		size_t m = c < 2 ? 1000 : 2;

		heap_table_release(&t);
		k = 0;
		for (size_t i = 0; i < m; i++) {
			struct heap_block b = {
			    0x7f1234560000ULL + c * 4096 - i * 16, i, 0, 0};

			if (i == m / 2)
				b.addr = c ? 0x555555559010ULL + c * 16
					   : 0xffff123456780000ULL;
			heap_table_insert(&t, &b);
			want[k++] = b;
		}
		qsort(want, k, sizeof(*want), cmp_block);
		s = heap_table_snapshot(&t, &got);
		CHECK_EQ_U(got, k);
		bad = 0;
		for (size_t i = 0; i < k && got == k; i++)
			bad += !blocks_equal(&s[i], &want[i]);
		CHECK_EQ_U(bad, 0);
		free(s);
		check_take(&t);
	}
	heap_table_release(&t);
	free(want);
}

static void test_copy(void)
{
	struct heap_table a, b, e, e2;
	size_t n = 10000, na, nb;
	struct heap_block *sa, *sb, f;

	heap_table_init(&e);
	heap_table_copy(&e2, &e);
	CHECK_EQ_U(e2.count, 0);
	CHECK(!heap_table_find(&e2, 0x1000, NULL));
	heap_table_release(&e2);
	heap_table_release(&e);

	heap_table_init(&a);
	for (size_t i = 0; i < n; i++) {
		struct heap_block blk = {0x10000 + i * 32, i, (uint32_t)i, 0};

		heap_table_insert(&a, &blk);
	}
	heap_table_remove(&a, 0x10000, NULL);
	heap_table_copy(&b, &a);
	CHECK(b.slots != a.slots);
	CHECK_EQ_U(b.count, a.count);
	CHECK_EQ_U(b.total_allocs, a.total_allocs);
	CHECK_EQ_U(b.total_frees, a.total_frees);
	CHECK_EQ_U(b.total_bytes, a.total_bytes);

	sa = heap_table_snapshot(&a, &na);
	sb = heap_table_snapshot(&b, &nb);
	CHECK_EQ_U(na, nb);
	CHECK(na == nb && !memcmp(sa, sb, na * sizeof(*sa)));
	free(sb);

	/* change the parent: the child keeps its own state */
	for (size_t i = 1; i < n; i += 2)
		heap_table_remove(&a, 0x10000 + i * 32, NULL);
	{
		struct heap_block blk = {0x20, 1, 1, 0},
				  over = {0x10000 + 64, 999, 5, 0};

		heap_table_insert(&a, &blk);
		heap_table_insert(&a, &over);
	}
	sb = heap_table_snapshot(&b, &nb);
	CHECK(na == nb && !memcmp(sa, sb, na * sizeof(*sa)));
	CHECK(!heap_table_find(&b, 0x20, NULL));
	CHECK(heap_table_find(&b, 0x10000 + 64, &f) && f.size == 2);
	free(sb);

	/* and the other way round */
	heap_table_remove(&b, 0x10000 + 2 * 32, NULL);
	CHECK(heap_table_find(&a, 0x10000 + 2 * 32, &f) && f.size == 999 &&
	      f.stack_id == 5);
	CHECK(!heap_table_find(&b, 0x10000 + 2 * 32, NULL));
	CHECK_EQ_U(b.count, na - 1);

	free(sa);
	heap_table_release(&a);
	heap_table_release(&b);
}

/* Distinct, 16-byte aligned, 96 bytes apart on average: like a brk heap. */
static taddr_t mem_addr(size_t i)
{
	return 0x555555559000ULL + i * 96 + (i % 5) * 16;
}

/*
 * Memory per live block, at 1M blocks and at every count on the way to
 * 2M: the bound must hold right after a growth too, not just on average.
 */
static void test_memory(void)
{
	struct heap_table t;
	size_t n = 2000000, bad = 0;
	double worst = 0, at_1m = 0, at_2_20 = 0, max_load = 0;

	heap_table_init(&t);
	for (size_t i = 0; i < n; i++) {
		struct heap_block b = {mem_addr(i), i % 200, 1, 0};
		double per;

		bad += heap_table_insert(&t, &b) != 0;
		per = (double)heap_table_memory(&t) / t.count;
		if (t.count >= 1000 && per > worst)
			worst = per;
		if ((double)t.count / t.capacity > max_load)
			max_load = (double)t.count / t.capacity;
		if (t.count == 1000000)
			at_1m = per;
		if (t.count == 1u << 20)
			at_2_20 = per;
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(t.count, n);
	printf("heap: %.1f bytes/block at 1,000,000 live, %.1f at 2^20, worst "
	       "%.1f (1k..2M)\n",
	       at_1m, at_2_20, worst);
	/* 16-byte slots at a load of 0.53 to 0.8 */
	CHECK(at_1m > 0 && at_1m <= 30.5);
	CHECK(at_2_20 > 0 && at_2_20 <= 30.5);
	CHECK(worst <= 30.5);
	/* linear probing degrades fast beyond that */
	CHECK(max_load <= 0.8);

	for (size_t i = 0; i < n; i++)
		bad += !heap_table_find(&t, mem_addr(i), NULL);
	CHECK_EQ_U(bad, 0);
	for (size_t i = 0; i < n; i += 2)
		bad += heap_table_remove(&t, mem_addr(i), NULL) != 1;
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(t.count, n / 2);
	heap_table_release(&t);
}

int main(void)
{
	test_basic();
	test_wide();
	test_random();
	test_snapshot_wide();
	test_copy();
	test_memory();
	return check_done("heap");
}
