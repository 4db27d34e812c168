/*
 * test_target: the heap walk, the root gathering and the classifier on a
 * synthetic target: memory laid out by this test as glibc 2.36 would lay
 * it out (main_arena and mp_ in libc's data, chunks in [heap], an
 * mmapped chunk, a thread's stack), with no process and no ptrace.
 *
 * The pointers planted give every kind: a block held from libc's data
 * (reachable), one held only from below a thread's sp (dead stack: lost),
 * one held by a register (reachable), an mmapped one held by nothing
 * (lost), and one held only through the lost mmapped one (indirect).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "alloc/alloc.h"
#include "alloc/glibc.h"
#include "leakcheck/heap.h"
#include "leakcheck/scan.h"
#include "leakcheck/target.h"

struct seg {
	taddr_t start;
	size_t len;
	uint8_t *mem;
};

struct fake {
	struct seg seg[4];
	int n;
};

static long fake_read(void *ctx, taddr_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	for (int i = 0; i < f->n; i++) {
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

static void put64(struct seg *s, taddr_t addr, uint64_t v)
{
	memcpy(s->mem + (addr - s->start), &v, 8);
}

#define DATA 0x7ffff7e19000ull /* libc's data */
#define DATA_LEN 0x2000
#define MS (DATA + 0x100)      /* main_arena */
#define MP (DATA + 0x1000)     /* mp_ */
#define HEAP 0x555555559000ull /* [heap] */
#define HEAP_LEN 0x21000
#define MMAP 0x7ffff7000000ull /* an mmapped chunk, all of the mapping */
#define MMAP_LEN 0x3000
#define STACK 0x7ffffffde000ull
#define STACK_LEN 0x21000
#define SP (STACK + 0x1000)

/* chunks in [heap]: the tcache, three in use, the top */
#define C_TCACHE HEAP
#define C1 (HEAP + 0x290)
#define C2 (C1 + 0x20)
#define C3 (C2 + 0x30)
#define TOP (C3 + 0x410)

static char maps[512];

static void fake_init(struct fake *f)
{
	static const struct {
		taddr_t start;
		size_t len;
	} segs[] = {{DATA, DATA_LEN},
		    {HEAP, HEAP_LEN},
		    {MMAP, MMAP_LEN},
		    {STACK, STACK_LEN}};
	struct seg *d, *h, *m;

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < 4; i++) {
		f->seg[i].start = segs[i].start;
		f->seg[i].len = segs[i].len;
		f->seg[i].mem = calloc(1, segs[i].len);
	}
	f->n = 4;
	d = &f->seg[0];
	h = &f->seg[1];
	m = &f->seg[2];

	/* main_arena: every bin empty (its head points at itself), the top
	 * chunk, and the ring of arenas of one */
	put64(d, MS + MS_TOP, TOP);
	for (int b = 1; b < MS_NBINS; b++) {
		taddr_t head = MS + MS_BINS + (taddr_t)(b - 1) * 16 - 16;
		put64(d, MS + MS_BINS + (taddr_t)(b - 1) * 16, head);
		put64(d, MS + MS_BINS + (taddr_t)(b - 1) * 16 + 8, head);
	}
	put64(d, MS + MS_NEXT, MS);
	/* mp_: sbrk_base, one mmapped chunk of MMAP_LEN */
	put64(d, MP + MP_SBRK_BASE, HEAP);
	{
		int32_t one = 1;
		memcpy(d->mem + (MP + MP_N_MMAPS - DATA), &one, 4);
		memcpy(d->mem + (MP + MP_MAX_N_MMAPS - DATA), &one, 4);
	}
	put64(d, MP + MP_MMAPPED_MEM, MMAP_LEN);
	put64(d, MP + MP_MAX_MMAPPED_MEM, MMAP_LEN);
	put64(d, MP + MP_TCACHE_BINS, TCACHE_BINS);

	/* [heap]: size words, each with PREV_INUSE (the one before is in
	 * use); the tcache's counts and entries are all 0 */
	put64(h, C_TCACHE + 8, TCACHE_CHUNK | PREV_INUSE);
	put64(h, C1 + 8, 0x20 | PREV_INUSE);
	put64(h, C2 + 8, 0x30 | PREV_INUSE);
	put64(h, C3 + 8, 0x410 | PREV_INUSE);
	put64(h, TOP + 8, (HEAP + HEAP_LEN - TOP) | PREV_INUSE);

	/* the mmapped chunk: prev_size 0, its size with IS_MMAPPED */
	put64(m, MMAP + 8, MMAP_LEN | IS_MMAPPED);

	snprintf(maps, sizeof(maps),
		 "%llx-%llx rw-p 00000000 00:00 0 [heap]\n"
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx rw-p 001d8000 08:01 1234 "
		 "/usr/lib/x86_64-linux-gnu/libc.so.6\n"
		 "%llx-%llx rw-p 00000000 00:00 0 [stack]\n",
		 HEAP, HEAP + HEAP_LEN, MMAP, MMAP + MMAP_LEN, DATA,
		 DATA + DATA_LEN, STACK, STACK + STACK_LEN);
}

static void fake_free(struct fake *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->seg[i].mem);
}

static struct scan_block *walk(struct fake *f, size_t *nb, int *ret)
{
	struct target tg = {
	    .pid = 4242, .maps = maps, .read = fake_read, .ctx = f};
	struct heap_table t;
	struct heap_block *hb;
	struct scan_block *b;
	size_t kept = 0;
	uint64_t bytes = 0;

	heap_table_init(&t);
	*ret = heap_walk_target(&tg, &t, &kept, &bytes);
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

static void test_walk(void)
{
	struct fake f;
	struct scan_block *b;
	size_t nb;
	int ret;

	fake_init(&f);
	b = walk(&f, &nb, &ret);
	CHECK_EQ_U(ret, HEAP_WALK_OK);
	/* the tcache is glibc's, not a block; usable sizes */
	CHECK_EQ_U(nb, 4);
	if (nb == 4) {
		CHECK_EQ_U(b[0].addr, C1 + 16);
		CHECK_EQ_U(b[0].size, 0x18);
		CHECK_EQ_U(b[1].addr, C2 + 16);
		CHECK_EQ_U(b[1].size, 0x28);
		CHECK_EQ_U(b[2].addr, C3 + 16);
		CHECK_EQ_U(b[2].size, 0x408);
		CHECK_EQ_U(b[3].addr, MMAP + 16);
		CHECK_EQ_U(b[3].size, MMAP_LEN - 16);
		CHECK(b[0].flags & HB_PRE_ATTACH);
	}
	free(b);
	fake_free(&f);

	/* a size word overwritten: a warning, the walk of [heap] stops
	 * there, and nothing past it is taken for a block */
	fake_init(&f);
	put64(&f.seg[1], C2 + 8, 0);
	b = walk(&f, &nb, &ret);
	CHECK_EQ_U(ret, HEAP_WALK_OK);
	for (size_t i = 0; i < nb; i++)
		CHECK(b[i].addr != C2 + 16 && b[i].addr != C3 + 16);
	free(b);
	fake_free(&f);

	/* no main_arena to be found (its bins overwritten), but a [heap]:
	 * unknown, to be scanned as roots */
	fake_init(&f);
	memset(f.seg[0].mem + (MS - DATA), 0x41, MS_SIZE);
	b = walk(&f, &nb, &ret);
	CHECK_EQ_U(ret, HEAP_WALK_UNKNOWN);
	CHECK_EQ_U(nb, 0);
	free(b);
	fake_free(&f);
}

static void test_roots_and_classify(void)
{
	struct fake f;
	struct scan_block *b;
	size_t nb;
	int ret, data_ranges = 0, stack_ranges = 0;
	struct root_set rs;
	taddr_t regs[3] = {0, C3 + 16, 12345};
	struct target_thread th = {
	    .tid = 77, .sp = SP, .from = SP - 128, .words = regs, .nwords = 3};
	struct scan_range own = {.start = DATA + 0x1800, .end = DATA + 0x1900};
	struct roots_opts ro = {.exclude = &own, .nexclude = 1};
	struct target tg = {
	    .pid = 4242, .maps = maps, .read = fake_read, .ctx = &f};

	fake_init(&f);
	/* C1's block held from libc's data; C2's only from dead stack
	 * below the red zone; C3's by a register; the mmapped block by
	 * nothing, and it holds C2's */
	put64(&f.seg[0], DATA + 0x8, C1 + 16);
	put64(&f.seg[3], SP - 512, C2 + 16);
	put64(&f.seg[2], MMAP + 64, C2 + 16);
	/* a pointer in the excluded range is not the program's */
	put64(&f.seg[0], DATA + 0x1808, MMAP + 16);
	b = walk(&f, &nb, &ret);
	CHECK_EQ_U(nb, 4);

	roots_gather(&tg, &th, 1, b, nb, &ro, &rs);
	/* libc's data, less the excluded range; the stack from FROM;
	 * nothing of [heap] or of the mmapped chunk */
	for (size_t i = 0; i < rs.nranges; i++) {
		const struct scan_range *r = &rs.ranges[i];
		CHECK(r->end <= HEAP || r->start >= HEAP + HEAP_LEN);
		CHECK(r->end <= MMAP || r->start >= MMAP + MMAP_LEN);
		CHECK(r->end <= own.start || r->start >= own.end);
		if (r->kind == ROOT_DATA) {
			data_ranges++;
			CHECK(r->name && strstr(r->name, "libc.so.6"));
		}
		if (r->kind == ROOT_STACK) {
			stack_ranges++;
			CHECK_EQ_U(r->tid, 77);
			CHECK_EQ_U(r->start, SP - 128);
			CHECK_EQ_U(r->end, STACK + STACK_LEN);
		}
	}
	CHECK_EQ_U(data_ranges, 2);
	CHECK_EQ_U(stack_ranges, 1);
	CHECK_EQ_U(rs.nwords, 3);
	for (size_t i = 0; i < rs.nwords && i < 3; i++) {
		CHECK_EQ_U(rs.words[i], regs[i]);
		CHECK_EQ_U(rs.word_info[i].kind, ROOT_REGISTER);
		CHECK_EQ_U(rs.word_info[i].tid, 77);
		CHECK_EQ_U(rs.word_info[i].index, (int)i);
	}

	{
		struct scan_input in = root_set_scan_input(&rs, &tg, b, nb);
		scan_classify(&in, NULL);
		free(in.cliques);
	}
	if (nb == 4) {
		CHECK_EQ_U(b[0].kind, LEAK_REACHABLE); /* C1: libc's data */
		CHECK_EQ_U(b[1].kind, LEAK_INDIRECT);  /* C2: via the lost */
		CHECK_EQ_U(b[2].kind, LEAK_REACHABLE); /* C3: a register */
		CHECK_EQ_U(b[3].kind, LEAK_DEFINITE);  /* the mmapped one */
	}
	root_set_release(&rs);
	free(b);
	fake_free(&f);
}

int main(void)
{
	test_walk();
	test_roots_and_classify();
	return check_done("target");
}
