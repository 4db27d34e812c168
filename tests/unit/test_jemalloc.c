/*
 * test_jemalloc: the jemalloc 5.3.0 walk (alloc/jemalloc.c) on a synthetic
 * target laid out as 5.3.0 lays out its extent map, extents and a
 * thread's cache, with no process: the allocated regions of a slab and a
 * large extent are blocks of their size class; a region and a large
 * extent in the thread's cache, the cache's own allocation and a dirty
 * extent are not; an inconsistency makes the walk give up and put
 * nothing in the table; jemalloc's extents and metadata are not roots,
 * nor is a thread's extent map cache in its TLS (its leaf keys are GiB
 * boundaries, which point into a block that spans one), the rest of their
 * mappings is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "alloc/alloc.h"
#include "leakcheck/heap.h"
#include "leakcheck/scan.h"
#include "leakcheck/target.h"

struct seg {
	taddr_t start;
	size_t len;
	uint8_t *mem;
};

#define NSEG 5
struct fake {
	struct seg seg[NSEG];
};

static long fake_read(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	for (int i = 0; i < NSEG; i++) {
		struct seg *s = &f->seg[i];
		if (addr >= s->start && addr < s->start + s->len) {
			size_t n = s->start + s->len - addr;
			if (n > len)
				n = len;
			memcpy(buf, s->mem + (addr - s->start), n);
			return (long)n;
		}
	}
	return 0;
}

static struct seg *seg_of(struct fake *f, taddr_t a)
{
	for (int i = 0; i < NSEG; i++)
		if (a >= f->seg[i].start && a < f->seg[i].start + f->seg[i].len)
			return &f->seg[i];
	return NULL;
}

static void put64(struct fake *f, taddr_t a, uint64_t v)
{
	struct seg *s = seg_of(f, a);
	memcpy(s->mem + (a - s->start), &v, 8);
}

static void put16(struct fake *f, taddr_t a, uint16_t v)
{
	struct seg *s = seg_of(f, a);
	memcpy(s->mem + (a - s->start), &v, 2);
}

#define ROOT 0x7f0000200000ull /* the emap's root array, 2 MiB */
#define LEAF 0x7f0000400000ull /* the leaf of HEAPA's GiB, 2 MiB */
#define BASE 0x7f0000800000ull /* base memory: edata_t's, bin stacks */
#define BASE_LEN 0x1000
#define TLS 0x7f0000c00000ull /* a thread's stack and TLS */
#define TLS_LEN 0x3000
#define TP (TLS + 0x2000)
#define TLS_OFF (-0x1000ll)
#define TSD ((taddr_t)(TP + TLS_OFF))
#define RTREE_CTX (TSD + 0x100 + 176) /* after the tcache_slow_t */
#define HEAPA 0x7f0040000000ull	      /* extents */
#define HEAP_LEN 0x20000

/* BASE is a base block of 2 MiB (its header first, its unused tail from
 * BASE + 0x400), holding edata_t's; extents: a slab of 32-byte regions (1 page:
 * 128), a large 16 KiB block at a cache-oblivious offset, a large one in the
 * thread's cache, a dirty extent that was a slab */
#define ED1 (BASE + 0x200)
#define ED2 (BASE + 0x280)
#define ED3 (BASE + 0x300)
#define ED4 (BASE + 0x380)
#define S1 HEAPA
#define L1 (HEAPA + 0x2040)
#define L2 (HEAPA + 0x8000)
#define D1 (HEAPA + 0x10000)
#define STK (BASE + 0x800) /* the thread cache's bins' stacks */

static char maps[1024];

static uint64_t ebits(unsigned slab, unsigned state, unsigned szind,
		      unsigned nfree)
{
	return (uint64_t)slab << 12 | (uint64_t)state << 17 |
	       (uint64_t)szind << 20 | (uint64_t)nfree << 28;
}

static uint64_t leafw(taddr_t ed, unsigned slab, unsigned state, unsigned szind)
{
	return ed | slab | (uint64_t)state << 2 | (uint64_t)szind << 48;
}

static void edata(struct fake *f, taddr_t ed, uint64_t bits, taddr_t addr,
		  uint64_t size)
{
	put64(f, ed, bits);
	put64(f, ed + 8, addr);
	put64(f, ed + 16, size);
}

static void fake_init(struct fake *f)
{
	static const taddr_t st[NSEG] = {ROOT, LEAF, BASE, TLS, HEAPA};
	static const size_t len[NSEG] = {2u << 20, 2u << 20, BASE_LEN, TLS_LEN,
					 HEAP_LEN};
	taddr_t slow = TSD + 0x100, tc = TSD + 0x358;

	for (int i = 0; i < NSEG; i++)
		f->seg[i] = (struct seg){st[i], len[i], calloc(1, len[i])};
	snprintf(maps, sizeof(maps),
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx rw-p 00000000 00:00 0 \n",
		 ROOT, ROOT + (2u << 20), LEAF, LEAF + (2u << 20), BASE,
		 BASE + BASE_LEN, TLS, TLS + TLS_LEN, HEAPA, HEAPA + HEAP_LEN);
	/* the base block's header: size, next, edata_t of its tail */
	put64(f, BASE, 2u << 20);
	put64(f, BASE + 24, BASE + 0x400);
	put64(f, BASE + 32, (2u << 20) - 0x400);
	/* root[HEAPA >> 30] -> the leaf; entries for each extent's pages */
	put64(f, ROOT + ((HEAPA >> 30) & 0x3ffff) * 8, LEAF);
	put64(f, LEAF + ((S1 >> 12) & 0x3ffff) * 8, leafw(ED1, 1, 0, 2));
	put64(f, LEAF + ((L1 >> 12) & 0x3ffff) * 8, leafw(ED2, 0, 0, 36));
	put64(f, LEAF + (((L1 >> 12) + 4) & 0x3ffff) * 8, leafw(ED2, 0, 0, 36));
	put64(f, LEAF + ((L2 >> 12) & 0x3ffff) * 8, leafw(ED3, 0, 0, 36));
	put64(f, LEAF + ((D1 >> 12) & 0x3ffff) * 8, leafw(ED4, 0, 1, 232));
	/* a cleared entry */
	put64(f, LEAF + (((D1 >> 12) + 4) & 0x3ffff) * 8, 232ull << 48);
	/* S1: regions 0, 1, 2 and 5 allocated (0 bits), 124 free */
	edata(f, ED1, ebits(1, 0, 2, 124), S1, 0x1000);
	put64(f, ED1 + 64, ~(1ull | 2 | 4 | 32));
	put64(f, ED1 + 72, ~0ull);
	edata(f, ED2, ebits(0, 0, 36, 0), L1, 0x5000);
	edata(f, ED3, ebits(0, 0, 36, 0), L2, 0x5000);
	edata(f, ED4, ebits(1, 1, 5, 0), D1, 0x2000);
	/* the thread's tcache_slow_t and tcache_t point at each other; its
	 * bins' allocation is S1's region 5; bin 2 holds region 1, bin 36
	 * the large L2 */
	put64(f, slow + 168, tc);
	put64(f, slow + 160, S1 + 5 * 32);
	put64(f, tc, slow);
	put64(f, tc + 8 + 2 * 24, STK + 0x40);
	put16(f, tc + 8 + 2 * 24 + 20, (uint16_t)(STK + 0x48));
	put64(f, STK + 0x40, S1 + 32);
	put64(f, tc + 8 + 36 * 24, STK + 0x80);
	put16(f, tc + 8 + 36 * 24 + 20, (uint16_t)(STK + 0x88));
	put64(f, STK + 0x80, L2);
}

static void fake_free(struct fake *f)
{
	for (int i = 0; i < NSEG; i++)
		free(f->seg[i].mem);
}

static const struct je_layout lay = {
    .root = ROOT, .tls_off = TLS_OFF, .tls_size = 0xa48};

static struct scan_block *walk(struct fake *f, size_t *nb, int *ret, char *why,
			       size_t why_len)
{
	struct target tg = {
	    .pid = 4242, .maps = maps, .read = fake_read, .ctx = f};
	struct heap_table t;
	struct heap_block *hb;
	struct scan_block *b;
	taddr_t tp = TP;
	size_t kept = 0;
	uint64_t bytes = 0;

	heap_table_init(&t);
	*ret =
	    je_walk_target(&tg, &lay, &tp, 1, &t, &kept, &bytes, why, why_len);
	hb = heap_table_snapshot(&t, nb);
	CHECK_EQ_U(kept, *nb);
	b = calloc(*nb + 1, sizeof(*b));
	for (size_t i = 0; i < *nb; i++)
		b[i] = (struct scan_block){.addr = hb[i].addr,
					   .size = hb[i].size,
					   .flags = (uint8_t)hb[i].flags};
	free(hb);
	heap_table_release(&t);
	return b;
}

static void test_sizes(void)
{
	static const uint64_t want[][2] = {
	    {0, 8},	 {1, 16},     {2, 32},	   {4, 64},    {5, 80},
	    {8, 128},	 {9, 160},    {12, 256},   {13, 320},  {35, 14336},
	    {36, 16384}, {37, 20480}, {40, 32768}, {41, 40960}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ_U(je_size_class((unsigned)want[i][0]), want[i][1]);
}

static void test_walk(void)
{
	struct fake f;
	struct scan_block *b;
	char why[256] = "";
	size_t nb;
	int ret;

	fake_init(&f);
	b = walk(&f, &nb, &ret, why, sizeof(why));
	CHECK_EQ_U(ret, 0);
	/* S1's regions 0 and 2, and L1: not the cached region 1, the
	 * cache's own region 5, the cached L2 or the dirty extent */
	CHECK_EQ_U(nb, 3);
	if (nb == 3) {
		CHECK_EQ_U(b[0].addr, S1);
		CHECK_EQ_U(b[0].size, 32);
		CHECK_EQ_U(b[1].addr, S1 + 64);
		CHECK_EQ_U(b[1].size, 32);
		CHECK_EQ_U(b[2].addr, L1);
		CHECK_EQ_U(b[2].size, 16384);
		CHECK(b[0].flags & HB_PRE_ATTACH);
	}
	free(b);
	fake_free(&f);

	/* nfree that the bitmap does not bear out: nothing, and why */
	fake_init(&f);
	put64(&f, ED1, ebits(1, 0, 2, 123));
	b = walk(&f, &nb, &ret, why, sizeof(why));
	CHECK(ret == -1);
	CHECK_EQ_U(nb, 0);
	CHECK(strstr(why, "free regions") != NULL);
	free(b);
	fake_free(&f);

	/* a map entry that names another state than its edata_t */
	fake_init(&f);
	put64(&f, LEAF + ((L1 >> 12) & 0x3ffff) * 8, leafw(ED2, 0, 1, 36));
	b = walk(&f, &nb, &ret, why, sizeof(why));
	CHECK(ret == -1);
	CHECK_EQ_U(nb, 0);
	CHECK(strstr(why, "does not match") != NULL);
	free(b);
	fake_free(&f);

	/* a cached pointer that is no allocated region of its class */
	fake_init(&f);
	put64(&f, STK + 0x40, S1 + 96);
	b = walk(&f, &nb, &ret, why, sizeof(why));
	CHECK(ret == -1);
	CHECK_EQ_U(nb, 0);
	CHECK(strstr(why, "thread cache bin 2") != NULL);
	free(b);
	fake_free(&f);

	/* no thread pointer: the cached regions cannot be told, but the
	 * walk of a thread that never allocated has none: a zero TSD */
	fake_init(&f);
	memset(f.seg[3].mem, 0, TLS_LEN);
	b = walk(&f, &nb, &ret, why, sizeof(why));
	CHECK_EQ_U(ret, 0);
	CHECK_EQ_U(nb, 6); /* 4 regions of S1, L1, L2 */
	free(b);
	fake_free(&f);
}

static void test_heap_and_roots(void)
{
	struct fake f;
	struct scan_block *b;
	char why[256];
	size_t nb, nh = 0;
	int ret, tls_root = 0, own_root = 0;
	struct scan_range *heap = NULL;
	struct root_set rs;
	struct target tg = {
	    .pid = 4242, .maps = maps, .read = fake_read, .ctx = &f};
	struct roots_opts ro = {0};
	struct target_thread th = {.tid = 4242, .tp = TP};

	fake_init(&f);
	b = walk(&f, &nb, &ret, why, sizeof(why));
	CHECK_EQ_U(je_heap_ranges(&tg, &lay, &th, 1, &heap, &nh), 0);
	/* the base block from its header, the thread's rtree_ctx_t (after
	 * its tcache_slow_t), the leaf's mapping (no base block header found
	 * for it), the four extents (in any state) */
	CHECK_EQ_U(nh, 7);
	if (nh == 7) {
		CHECK_EQ_U(heap[0].start, LEAF);
		CHECK_EQ_U(heap[0].end, LEAF + (2u << 20));
		CHECK_EQ_U(heap[1].start, BASE);
		CHECK_EQ_U(heap[1].end, BASE + (2u << 20));
		CHECK_EQ_U(heap[2].start, RTREE_CTX);
		CHECK_EQ_U(heap[2].end, RTREE_CTX + 384);
		CHECK_EQ_U(heap[3].start, S1);
		CHECK_EQ_U(heap[3].end, S1 + 0x1000);
		CHECK_EQ_U(heap[4].start, L1 - 0x40);
		CHECK_EQ_U(heap[4].end, L1 - 0x40 + 0x5000);
		CHECK_EQ_U(heap[5].start, L2);
		CHECK_EQ_U(heap[6].start, D1);
		CHECK_EQ_U(heap[6].end, D1 + 0x2000);
	}
	ro.heap = heap;
	ro.nheap = nh;
	roots_gather(&tg, NULL, 0, b, nb, &ro, &rs);
	/* the base memory, the leaf, the extents and the rtree_ctx_t are not
	 * roots; the rest of the thread's TLS and stack is (a jemalloc linked
	 * into the executable shares its TLS block with the program's
	 * thread-locals), and so is the rest of the extents' mapping (the
	 * program's own memory the kernel merged with them) */
	for (size_t i = 0; i < rs.nranges; i++) {
		const struct scan_range *r = &rs.ranges[i];
		for (size_t k = 0; k < nh; k++)
			CHECK(r->end <= heap[k].start ||
			      r->start >= heap[k].end);
		tls_root +=
		    (r->start == TLS && r->end == RTREE_CTX) +
		    (r->start == RTREE_CTX + 384 && r->end == TLS + TLS_LEN);
		own_root +=
		    r->start == D1 + 0x2000 && r->end == HEAPA + HEAP_LEN;
	}
	CHECK_EQ_U(tls_root, 2);
	CHECK_EQ_U(own_root, 1);
	root_set_release(&rs);
	free(heap);
	/* a thread whose cache is not there (it never allocated): nothing
	 * of its TLS is cut out */
	memset(f.seg[3].mem, 0, TLS_LEN);
	CHECK_EQ_U(je_heap_ranges(&tg, &lay, &th, 1, &heap, &nh), 0);
	CHECK_EQ_U(nh, 6);
	for (size_t k = 0; k < nh; k++)
		CHECK(heap[k].end <= TLS || heap[k].start >= TLS + TLS_LEN);
	free(heap);
	free(b);
	fake_free(&f);
}

int main(void)
{
	test_sizes();
	test_walk();
	test_heap_and_roots();
	return check_done("test_jemalloc");
}
