/*
 * test_report: loss records, the text report and the JSON report on a
 * fixed set of classified blocks, a real stack depot and a fake
 * symbolizer.  The expected text follows valgrind 3.19's memcheck output
 * line for line.
 *
 * The heap (block: kind, size, stack):
 *   blk0  definite  32  S1   leader of blk1, blk2 (48 bytes, 2 blocks)
 *   blk1  indirect  16  S2
 *   blk2  indirect  32  S2
 *   blk3  definite 1024 S3
 *   blk4  definite 1024 S3
 *   blk5  possible 2000 S2
 *   blk6  reachable 100 S1   reached via the length64 heuristic
 *   blk7  reachable  80 stack 0, HB_PRE_ATTACH
 *   blk8  definite   48 S4
 *   blk9  possible   40 S4   reached via the stdstring heuristic
 *   blk10 possible   20 S1
 *   blk11 possible   20 S1
 *   blk12 reachable   8 S3
 *   blk13 reachable   8 S2
 * It has ties on total bytes broken by kind (48: definite S4 before
 * indirect S2; 80: definite before reachable), by blocks (40: 1 block
 * before 2) and by stack id (8: S2 before S3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "leakcheck/depot.h"
#include "leakcheck/heap.h"
#include "leakcheck/report.h"
#include "leakcheck/sym.h"

/* ---- fake symbolizer ---- */

#define PC_MALLOC 0x401000ull
#define PC_NEW 0x401010ull
#define PC_MK 0x401234ull
#define PC_INL 0x401250ull
#define PC_MAIN 0x401300ull
#define PC_HELPER 0x402000ull
#define PC_UNKNOWN 0x403000ull
#define PC_CXX 0x404000ull
#define PC_CALL_MAIN 0x7f0000001000ull
#define PC_START_MAIN 0x7f0000002000ull
#define PC_START 0x7f0000003000ull

static const char libc[] = "/usr/lib/x86_64-linux-gnu/libc.so.6";
static const char libstdcxx[] = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
static int weird;	  /* PC_CXX resolves to names that need escaping */
static int bad_is_return; /* is_return wrong for a frame */
static int sym_calls;

static void set(struct sym_frame *f, taddr_t pc, const char *func,
		const char *file, int line, const char *module, int inlined)
{
	f->pc = pc;
	f->func = func;
	f->file = file;
	f->line = line;
	f->module = module;
	f->inlined = inlined;
}

static int fake_sym(void *ctx, taddr_t pc, int is_return, struct sym_frame *out,
		    int max)
{
	int *calls = ctx;
	(*calls)++;
	if (max < 2)
		return 0;
	if ((pc == PC_MALLOC || pc == PC_NEW) == !!is_return)
		bad_is_return++;
	switch (pc) {
	case PC_MALLOC:
		set(out, pc, "malloc", NULL, 0, libc, 0);
		return 1;
	case PC_NEW:
		set(out, pc, "operator new(unsigned long)", NULL, 0, libstdcxx,
		    0);
		return 1;
	case PC_MK:
		set(out, pc, "mk", "/home/u/src/a.c", 5, "/home/u/a.out", 0);
		return 1;
	case PC_INL:
		set(&out[0], pc, "inl", "/home/u/src/a.c", 6, "/home/u/a.out",
		    1);
		set(&out[1], pc, "main", "/home/u/src/a.c", 11, "/home/u/a.out",
		    0);
		return 2;
	case PC_MAIN:
		set(out, pc, "main", "/home/u/src/a.c", 8, "/home/u/a.out", 0);
		return 1;
	case PC_HELPER:
		set(out, pc, "helper", NULL, 0, "/usr/lib/libfoo.so", 0);
		return 1;
	case PC_CXX:
		if (weird)
			set(out, pc, "ns::f<std::vector<int>&>(int) \"q\" \\",
			    "/src/b\xff"
			    "ad\x01\t.cc",
			    7, "/tmp/caf\xc3\xa9\xc0\xaf\xe2\x82.so", 0);
		else
			set(out, pc, "ns::f<std::vector<int>&>(int)",
			    "/home/u/src/b.cc", 7, "/home/u/a.out", 0);
		return 1;
	case PC_CALL_MAIN:
		set(out, pc, "__libc_start_call_main",
		    "../sysdeps/nptl/libc_start_call_main.h", 58, libc, 0);
		return 1;
	case PC_START_MAIN:
		set(out, pc, "__libc_start_main_impl", "../csu/libc-start.c",
		    392, libc, 0);
		return 1;
	case PC_START:
		set(out, pc, "_start", NULL, 0, "/home/u/a.out", 0);
		return 1;
	default:
		return 0;
	}
}

/* ---- fixture ---- */

static struct stack_depot depot;
static uint32_t s1, s2, s3, s4;

static void make_stacks(void)
{
	static const taddr_t st1[] = {PC_MALLOC, PC_MK, PC_MAIN, PC_CALL_MAIN};
	static const taddr_t st2[] = {PC_MALLOC, PC_INL, PC_CALL_MAIN};
	static const taddr_t st3[] = {PC_MALLOC, PC_HELPER, PC_UNKNOWN,
				      PC_START_MAIN, PC_START};
	static const taddr_t st4[] = {PC_NEW, PC_CXX, PC_MAIN};

	stack_depot_init(&depot);
	s1 = stack_depot_intern(&depot, st1, ARRAY_SIZE(st1));
	s2 = stack_depot_intern(&depot, st2, ARRAY_SIZE(st2));
	s3 = stack_depot_intern(&depot, st3, ARRAY_SIZE(st3));
	s4 = stack_depot_intern(&depot, st4, ARRAY_SIZE(st4));
}

/* make_blocks' clique totals, as scan_classify gives them */
static struct scan_clique cliques[4];
static size_t ncliques;

static size_t make_blocks(struct scan_block *b)
{
	static const struct {
		int kind;
		uint64_t size;
		int stack; /* 0..4 */
		uint32_t flags;
		uint64_t ind_bytes, ind_blocks;
		int heuristic;
	} t[] = {
	    {LEAK_DEFINITE, 32, 1, 0, 48, 2, 0},
	    {LEAK_INDIRECT, 16, 2, 0, 0, 0, 0},
	    {LEAK_INDIRECT, 32, 2, 0, 0, 0, 0},
	    {LEAK_DEFINITE, 1024, 3, 0, 0, 0, 0},
	    {LEAK_DEFINITE, 1024, 3, 0, 0, 0, 0},
	    {LEAK_POSSIBLE, 2000, 2, 0, 0, 0, 0},
	    {LEAK_REACHABLE, 100, 1, 0, 0, 0, SCAN_HEUR_LENGTH64},
	    {LEAK_REACHABLE, 80, 0, HB_PRE_ATTACH, 0, 0, 0},
	    {LEAK_DEFINITE, 48, 4, 0, 0, 0, 0},
	    {LEAK_POSSIBLE, 40, 4, 0, 0, 0, SCAN_HEUR_STDSTRING},
	    {LEAK_POSSIBLE, 20, 1, 0, 0, 0, 0},
	    {LEAK_POSSIBLE, 20, 1, 0, 0, 0, 0},
	    {LEAK_REACHABLE, 8, 3, 0, 0, 0, 0},
	    {LEAK_REACHABLE, 8, 2, 0, 0, 0, 0},
	};
	const uint32_t ids[] = {0, s1, s2, s3, s4};

	ncliques = 0;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].addr = 0x10000 + 0x1000 * i;
		b[i].size = t[i].size;
		b[i].stack_id = ids[t[i].stack];
		b[i].flags = t[i].flags;
		b[i].kind = t[i].kind;
		b[i].heuristic = t[i].heuristic;
		if (t[i].ind_blocks)
			cliques[ncliques++] = (struct scan_clique){
			    (uint32_t)i, (uint32_t)t[i].ind_blocks,
			    t[i].ind_bytes};
	}
	return ARRAY_SIZE(t);
}

static void init_ctx(struct report_ctx *rc, FILE *out)
{
	memset(rc, 0, sizeof(*rc));
	rc->out = out;
	rc->pid = 77;
	rc->mode = LEAK_CHECK_FULL;
	rc->show_kinds = 1u << LEAK_DEFINITE | 1u << LEAK_POSSIBLE;
	rc->error_kinds = 1u << LEAK_DEFINITE | 1u << LEAK_POSSIBLE;
	rc->num_callers = 12;
	rc->depot = &depot;
	rc->sym = fake_sym;
	rc->sym_ctx = &sym_calls;
	rc->in_use_bytes = 4452;
	rc->in_use_blocks = 14;
	rc->total_allocs = 20;
	rc->total_frees = 6;
	rc->total_bytes = 123456;
}

/* ---- loss records ---- */

static void test_records(const struct loss_record *r, size_t n,
			 const struct leak_summary *sum)
{
	static const struct {
		int kind;
		int stack;
		uint64_t bytes, blocks, ind_bytes, ind_blocks;
		uint32_t flags;
	} want[] = {
	    {LEAK_REACHABLE, 2, 8, 1, 0, 0, 0},
	    {LEAK_REACHABLE, 3, 8, 1, 0, 0, 0},
	    {LEAK_POSSIBLE, 4, 40, 1, 0, 0, 0},
	    {LEAK_POSSIBLE, 1, 40, 2, 0, 0, 0},
	    {LEAK_DEFINITE, 4, 48, 1, 0, 0, 0},
	    {LEAK_INDIRECT, 2, 48, 2, 0, 0, 0},
	    {LEAK_DEFINITE, 1, 32, 1, 48, 2, 0},
	    {LEAK_REACHABLE, 0, 80, 1, 0, 0, HB_PRE_ATTACH},
	    {LEAK_REACHABLE, 1, 100, 1, 0, 0, 0},
	    {LEAK_POSSIBLE, 2, 2000, 1, 0, 0, 0},
	    {LEAK_DEFINITE, 3, 2048, 2, 0, 0, 0},
	};
	const uint32_t ids[] = {0, s1, s2, s3, s4};

	CHECK_EQ_U(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n && i < ARRAY_SIZE(want); i++) {
		CHECK_EQ_U(r[i].kind, want[i].kind);
		CHECK_EQ_U(r[i].stack_id, ids[want[i].stack]);
		CHECK_EQ_U(r[i].bytes, want[i].bytes);
		CHECK_EQ_U(r[i].blocks, want[i].blocks);
		CHECK_EQ_U(r[i].indirect_bytes, want[i].ind_bytes);
		CHECK_EQ_U(r[i].indirect_blocks, want[i].ind_blocks);
		CHECK_EQ_U(r[i].flags, want[i].flags);
		CHECK_EQ_U(r[i].suppressed, 0);
	}
	CHECK_EQ_U(sum->classified, 1);
	CHECK_EQ_U(sum->bytes[LEAK_DEFINITE], 2128);
	CHECK_EQ_U(sum->blocks[LEAK_DEFINITE], 4);
	CHECK_EQ_U(sum->bytes[LEAK_INDIRECT], 48);
	CHECK_EQ_U(sum->blocks[LEAK_INDIRECT], 2);
	CHECK_EQ_U(sum->bytes[LEAK_POSSIBLE], 2080);
	CHECK_EQ_U(sum->blocks[LEAK_POSSIBLE], 4);
	CHECK_EQ_U(sum->bytes[LEAK_REACHABLE], 196);
	CHECK_EQ_U(sum->blocks[LEAK_REACHABLE], 4);
	CHECK_EQ_U(sum->heuristic_bytes[SCAN_HEUR_STDSTRING], 40);
	CHECK_EQ_U(sum->heuristic_blocks[SCAN_HEUR_STDSTRING], 1);
	CHECK_EQ_U(sum->heuristic_bytes[SCAN_HEUR_LENGTH64], 100);
	CHECK_EQ_U(sum->heuristic_blocks[SCAN_HEUR_LENGTH64], 1);
	CHECK_EQ_U(sum->heuristic_blocks[SCAN_HEUR_NONE], 0);
	CHECK_EQ_U(sum->heuristic_blocks[SCAN_HEUR_NEWARRAY], 0);
	CHECK_EQ_U(sum->suppressed_bytes, 0);
	CHECK_EQ_U(sum->unclassified_blocks, 0);
}

static void test_records_edge(void)
{
	struct leak_summary sum;
	struct loss_record *r;
	struct scan_block b[2];
	size_t n = 99;

	/* no blocks: an empty, freeable array and a zero summary */
	r = loss_records_build(NULL, 0, NULL, 0, &n, &sum);
	CHECK(r != NULL);
	CHECK_EQ_U(n, 0);
	CHECK_EQ_U(sum.classified, 1);
	CHECK_EQ_U(sum.blocks[LEAK_DEFINITE] + sum.blocks[LEAK_REACHABLE], 0);
	free(r);

	/* only a lost block's clique numbers count in its record */
	struct scan_clique cl[] = {{0, 1, 5}, {1, 1, 5}};
	memset(b, 0, sizeof(b));
	b[0].size = 10;
	b[0].stack_id = s1;
	b[0].kind = LEAK_INDIRECT;
	b[1] = b[0];
	b[1].kind = LEAK_REACHABLE;
	r = loss_records_build(b, 2, cl, 2, &n, &sum);
	CHECK_EQ_U(n, 2);
	CHECK_EQ_U(r[0].kind, LEAK_INDIRECT);
	CHECK_EQ_U(r[0].indirect_bytes + r[1].indirect_bytes, 0);
	CHECK_EQ_U(r[1].kind, LEAK_REACHABLE);
	free(r);
}

/* ---- text ---- */

/* The expected text, one output line per source line. */
/* clang-format off */
#define P "==77== "

#define HEAP \
	P "\n" \
	P "HEAP SUMMARY:\n" \
	P "    in use at exit: 4,452 bytes in 14 blocks\n" \
	P "  total heap usage: 20 allocs, 6 frees, 123,456 bytes allocated\n" \
	P "\n"

#define LEAKS \
	P "LEAK SUMMARY:\n" \
	P "   definitely lost: 2,128 bytes in 4 blocks\n" \
	P "   indirectly lost: 48 bytes in 2 blocks\n" \
	P "     possibly lost: 2,080 bytes in 4 blocks\n" \
	P "   still reachable: 196 bytes in 4 blocks\n" \
	P "                      of which reachable via heuristic:\n" \
	P "                        stdstring          : 40 bytes in 1 blocks\n" \
	P "                        length64           : 100 bytes in 1 blocks\n" \
	P "        suppressed: 0 bytes in 0 blocks\n"

#define AT_MALLOC \
	P "   at 0x401000: malloc (in /usr/lib/x86_64-linux-gnu/libc.so.6)\n"
#define AT_NEW \
	P "   at 0x401010: operator new(unsigned long) (in " \
	  "/usr/lib/x86_64-linux-gnu/libstdc++.so.6)\n"
#define BY_MK P "   by 0x401234: mk (a.c:5)\n"
#define BY_MAIN P "   by 0x401300: main (a.c:8)\n"
#define BY_INL \
	P "   by 0x401250: inl (a.c:6)\n" \
	P "   by 0x401250: main (a.c:11)\n"
#define BY_CXX P "   by 0x404000: ns::f<std::vector<int>&>(int) (b.cc:7)\n"
#define BY_HELPER P "   by 0x402000: helper (in /usr/lib/libfoo.so)\n"

static const char want_full[] =
	HEAP
	P "40 bytes in 1 blocks are possibly lost in loss record 3 of 11\n"
	AT_NEW BY_CXX BY_MAIN
	P "\n"
	P "40 bytes in 2 blocks are possibly lost in loss record 4 of 11\n"
	AT_MALLOC BY_MK BY_MAIN
	P "\n"
	P "48 bytes in 1 blocks are definitely lost in loss record 5 of 11\n"
	AT_NEW BY_CXX BY_MAIN
	P "\n"
	P "80 (32 direct, 48 indirect) bytes in 1 blocks are definitely lost "
	  "in loss record 7 of 11\n"
	AT_MALLOC BY_MK BY_MAIN
	P "\n"
	P "2,000 bytes in 1 blocks are possibly lost in loss record 10 of 11\n"
	AT_MALLOC BY_INL
	P "\n"
	P "2,048 bytes in 2 blocks are definitely lost in loss record 11 of 11\n"
	AT_MALLOC BY_HELPER
	P "   by 0x403000: ???\n"
	P "   by 0x7F0000002000: (below main) (libc-start.c:392)\n"
	P "\n"
	LEAKS
	P "Reachable blocks (those to which a pointer was found) are not shown.\n"
	P "To see them, rerun with: --leak-check=full --show-leak-kinds=all\n"
	P "\n"
	P "ERROR SUMMARY: 6 errors from 6 contexts (suppressed: 0 from 0)\n";

/* --show-leak-kinds=all --num-callers=2, a note */
static const char want_all[] =
	HEAP
	P "8 bytes in 1 blocks are still reachable in loss record 1 of 11\n"
	AT_MALLOC BY_INL
	P "\n"
	P "8 bytes in 1 blocks are still reachable in loss record 2 of 11\n"
	AT_MALLOC BY_HELPER
	P "\n"
	P "40 bytes in 1 blocks are possibly lost in loss record 3 of 11\n"
	AT_NEW BY_CXX
	P "\n"
	P "40 bytes in 2 blocks are possibly lost in loss record 4 of 11\n"
	AT_MALLOC BY_MK
	P "\n"
	P "48 bytes in 1 blocks are definitely lost in loss record 5 of 11\n"
	AT_NEW BY_CXX
	P "\n"
	P "48 bytes in 2 blocks are indirectly lost in loss record 6 of 11\n"
	AT_MALLOC BY_INL
	P "\n"
	P "80 (32 direct, 48 indirect) bytes in 1 blocks are definitely lost "
	  "in loss record 7 of 11\n"
	AT_MALLOC BY_MK
	P "\n"
	P "80 bytes in 1 blocks are still reachable in loss record 8 of 11\n"
	P "   (no stack: blocks of 80 bytes allocated before leakcheck attached)\n"
	P "\n"
	P "100 bytes in 1 blocks are still reachable in loss record 9 of 11\n"
	AT_MALLOC BY_MK
	P "\n"
	P "2,000 bytes in 1 blocks are possibly lost in loss record 10 of 11\n"
	AT_MALLOC BY_INL
	P "\n"
	P "2,048 bytes in 2 blocks are definitely lost in loss record 11 of 11\n"
	AT_MALLOC BY_HELPER
	P "\n"
	P "1 page unreadable, not scanned\n"
	P "second line\n"
	LEAKS
	P "\n"
	P "ERROR SUMMARY: 6 errors from 6 contexts (suppressed: 0 from 0)\n";

static const char want_summary[] =
	HEAP
	LEAKS
	P "Rerun with --leak-check=full to see details of leaked memory\n"
	P "\n"
	P "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n";

static const char want_no[] =
	HEAP
	P "For a detailed leak analysis, rerun with: --leak-check=full\n"
	P "\n"
	P "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n";

static const char want_empty[] =
	P "\n"
	P "HEAP SUMMARY:\n"
	P "    in use at exit: 0 bytes in 0 blocks\n"
	P "  total heap usage: 1 allocs, 1 frees, 10 bytes allocated\n"
	P "\n"
	P "All heap blocks were freed -- no leaks are possible\n"
	P "\n"
	P "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n";

static const char want_killed[] =
	P "\n"
	P "HEAP SUMMARY:\n"
	P "    in use at exit: 1,234,567 bytes in 3 blocks\n"
	P "  total heap usage: 3 allocs, 0 frees, 1,234,567 bytes allocated\n"
	P "\n"
	P "no scan was possible: the process was killed by SIGKILL; "
	  "1,234,567 bytes in 3 blocks were live, not classified\n"
	P "\n"
	P "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n";
/* clang-format on */

/* Render with RC into a string; caller frees. */
static char *render(struct report_ctx *rc, const struct loss_record *r,
		    size_t n, const struct leak_summary *sum)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	rc->out = f;
	report_text(rc, r, n, sum);
	fclose(f);
	rc->out = NULL;
	return buf;
}

/* Compare and, on a mismatch, show the first differing line. */
static void check_text(const char *name, const char *got, const char *want)
{
	size_t i = 0, line = 1, ls = 0;
	if (!strcmp(got, want)) {
		check_pass++;
		return;
	}
	check_fail++;
	while (got[i] && got[i] == want[i]) {
		if (got[i] == '\n') {
			line++;
			ls = i + 1;
		}
		i++;
	}
	fprintf(stderr,
		"%s: text differs at line %zu:\n got: %.*s\nwant: %.*s\n", name,
		line, (int)strcspn(got + ls, "\n"), got + ls,
		(int)strcspn(want + ls, "\n"), want + ls);
}

static void test_text(const struct loss_record *r, size_t n,
		      const struct leak_summary *sum)
{
	struct report_ctx rc;
	struct leak_summary es;
	char *t;

	init_ctx(&rc, NULL);
	bad_is_return = 0;
	t = render(&rc, r, n, sum);
	check_text("full", t, want_full);
	CHECK_EQ_U(bad_is_return, 0);
	free(t);

	init_ctx(&rc, NULL);
	rc.show_kinds = (1u << LEAK_NKINDS) - 1;
	rc.num_callers = 2;
	rc.note = "1 page unreadable, not scanned\nsecond line";
	t = render(&rc, r, n, sum);
	check_text("all", t, want_all);
	free(t);

	init_ctx(&rc, NULL);
	rc.mode = LEAK_CHECK_SUMMARY;
	t = render(&rc, r, n, sum);
	check_text("summary", t, want_summary);
	free(t);

	init_ctx(&rc, NULL);
	rc.mode = LEAK_CHECK_NO;
	t = render(&rc, r, n, sum);
	check_text("no", t, want_no);
	free(t);

	init_ctx(&rc, NULL);
	rc.in_use_bytes = rc.in_use_blocks = 0;
	rc.total_allocs = rc.total_frees = 1;
	rc.total_bytes = 10;
	memset(&es, 0, sizeof(es));
	es.classified = 1;
	t = render(&rc, NULL, 0, &es);
	check_text("empty", t, want_empty);
	free(t);

	init_ctx(&rc, NULL);
	rc.in_use_bytes = rc.total_bytes = 1234567;
	rc.in_use_blocks = rc.total_allocs = 3;
	rc.total_frees = 0;
	memset(&es, 0, sizeof(es));
	es.unclassified_bytes = 1234567;
	es.unclassified_blocks = 3;
	t = render(&rc, NULL, 0, &es);
	check_text("killed", t, want_killed);
	free(t);
	/* records built from the unclassified blocks are ignored, in any
	 * mode: no loss record, no error */
	es = *sum;
	es.classified = 0;
	es.unclassified_bytes = 1234567;
	es.unclassified_blocks = 3;
	t = render(&rc, r, n, &es);
	check_text("killed, records", t, want_killed);
	free(t);
	rc.mode = LEAK_CHECK_NO;
	t = render(&rc, r, n, &es);
	check_text("killed, no", t, want_killed);
	free(t);

	/* no symbolizer, no depot: still a record line per record */
	init_ctx(&rc, NULL);
	rc.sym = NULL;
	t = render(&rc, r, n, sum);
	CHECK(strstr(t, P "   at 0x401000: ???\n" P "   by 0x401234: ???\n"));
	free(t);
	rc.depot = NULL;
	t = render(&rc, r, n, sum);
	CHECK(strstr(t, "in loss record 11 of 11\n" P
			"   (no stack recorded)\n" P "\n" P "LEAK SUMMARY:\n"));
	free(t);
}

static void test_error_count(struct loss_record *r, size_t n)
{
	struct report_ctx rc;
	char *t;

	init_ctx(&rc, NULL);
	CHECK_EQ_U(report_error_count(&rc, r, n), 6);
	rc.error_kinds = (1u << LEAK_NKINDS) - 1;
	CHECK_EQ_U(report_error_count(&rc, r, n), 11);
	rc.error_kinds = 0;
	CHECK_EQ_U(report_error_count(&rc, r, n), 0);
	/* valgrind counts no leak errors without --leak-check=full */
	init_ctx(&rc, NULL);
	rc.mode = LEAK_CHECK_SUMMARY;
	CHECK_EQ_U(report_error_count(&rc, r, n), 0);

	/* a suppressed record: not shown, not an error, counted apart */
	init_ctx(&rc, NULL);
	r[n - 1].suppressed = 1;
	CHECK_EQ_U(report_error_count(&rc, r, n), 5);
	t = render(
	    &rc, r, n,
	    &(struct leak_summary){.classified = 1, .suppressed_blocks = 2});
	CHECK(!strstr(t, "loss record 11 of 11"));
	CHECK(strstr(t, P "ERROR SUMMARY: 5 errors from 5 contexts "
			  "(suppressed: 1 from 1)\n"));
	free(t);
	r[n - 1].suppressed = 0;
}

/* ---- JSON ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len + 1);
	if (!buf || fread(buf, 1, len, f) != (size_t)len)
		abort();
	buf[len] = 0;
	fclose(f);
	return buf;
}

static size_t count(const char *s, const char *sub)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
		n++;
	return n;
}

/* Minimal JSON well-formedness: brackets balance outside strings, no raw
 * control characters inside them, every byte valid UTF-8 or ASCII. */
static int json_sane(const char *s)
{
	int depth = 0, in_str = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (in_str) {
			if (*p < 0x20)
				return 0;
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = 0;
			else if (*p >= 0x80) {
				/* only our one valid sequence, U+00E9 */
				if (p[0] != 0xc3 || p[1] != 0xa9)
					return 0;
				p++;
			}
			continue;
		}
		if (*p == '"')
			in_str = 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (--depth < 0)
				return 0;
		}
	}
	return depth == 0 && !in_str;
}

static void test_json(const struct loss_record *r, size_t n,
		      const struct leak_summary *sum)
{
	struct report_ctx rc;
	char path[] = "/tmp/test_report.XXXXXX";
	char *s, *p;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);

	init_ctx(&rc, NULL);
	rc.note = "a \"note\"";
	weird = 1;
	CHECK_EQ_U(report_json(&rc, path, "./prog \"a b\"\n\x7f", r, n, sum),
		   0);
	weird = 0;
	s = slurp(path);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(json_sane(s));
	CHECK(strstr(s, "\"tool\": \"leakcheck\""));
	CHECK(strstr(s, "\"version\": \""));
	CHECK(strstr(s, "\"pid\": 77,"));
	CHECK(strstr(s, "\"command\": \"./prog \\\"a b\\\"\\n\x7f\""));
	CHECK(strstr(s, "\"classified\": true"));
	CHECK(strstr(s, "\"note\": \"a \\\"note\\\"\""));
	CHECK(strstr(s, "\"errors\": 6,"));
	CHECK(
	    strstr(s, "\"definitely_lost\": {\"bytes\": 2128, \"blocks\": 4}"));
	CHECK(strstr(s, "\"indirectly_lost\": {\"bytes\": 48, \"blocks\": 2}"));
	CHECK(strstr(s, "\"possibly_lost\": {\"bytes\": 2080, \"blocks\": 4}"));
	CHECK(
	    strstr(s, "\"still_reachable\": {\"bytes\": 196, \"blocks\": 4}"));
	CHECK(strstr(s, "\"suppressed\": {\"bytes\": 0, \"blocks\": 0}"));
	CHECK(strstr(s, "\"reachable_via_heuristic\": {\n"
			"      \"stdstring\": {\"bytes\": 40, \"blocks\": 1},\n"
			"      \"length64\": {\"bytes\": 100, \"blocks\": 1},\n"
			"      \"newarray\": {\"bytes\": 0, \"blocks\": 0},\n"
			"      \"multipleinheritance\": {\"bytes\": 0, "
			"\"blocks\": 0}\n    }\n  },\n"));
	CHECK(strstr(s, "\"in_use_bytes\": 4452, \"in_use_blocks\": 14, "
			"\"total_allocs\": 20, \"total_frees\": 6, "
			"\"total_bytes\": 123456"));
	/* all records, all kinds, in order */
	CHECK_EQ_U(count(s, "\"record\": "), 11);
	CHECK_EQ_U(count(s, "\"kind\": \"reachable\""), 4);
	CHECK_EQ_U(count(s, "\"kind\": \"indirect\""), 1);
	p = strstr(s, "\"record\": 1,");
	CHECK(p && strstr(p, "\"kind\": \"reachable\""));
	p = strstr(s, "\"record\": 7,");
	CHECK(p &&
	      !strncmp(strstr(p, "\"kind\""),
		       "\"kind\": \"definite\",\n      \"bytes\": 32,\n"
		       "      \"blocks\": 1,\n      \"indirect_bytes\": 48,\n"
		       "      \"indirect_blocks\": 2,",
		       100));
	p = strstr(s, "\"record\": 8,");
	CHECK(p && strstr(p, "\"pre_attach\": true,\n      \"frames\": []"));
	CHECK_EQ_U(count(s, "\"pre_attach\": true"), 1);
	/* frames: full stacks (below main too), inline chains */
	CHECK(strstr(s,
		     "{\"address\": \"0x401250\", \"function\": \"inl\", "
		     "\"file\": \"/home/u/src/a.c\", \"line\": 6, "
		     "\"module\": \"/home/u/a.out\", \"inlined\": true},\n"
		     "        {\"address\": \"0x401250\", \"function\": "
		     "\"main\", \"file\": \"/home/u/src/a.c\", \"line\": 11, "
		     "\"module\": \"/home/u/a.out\", \"inlined\": false}"));
	CHECK(strstr(s, "{\"address\": \"0x7f0000003000\", \"function\": "
			"\"_start\", \"file\": null, \"line\": null"));
	CHECK(strstr(s, "{\"address\": \"0x403000\", \"function\": null, "
			"\"file\": null, \"line\": null, \"module\": null, "
			"\"inlined\": false}"));
	/* escaping: C++ name, control chars, invalid UTF-8 */
	CHECK(strstr(s, "\"function\": \"ns::f<std::vector<int>&>(int) "
			"\\\"q\\\" \\\\\""));
	CHECK(strstr(s, "\"file\": \"/src/b\\ufffdad\\u0001\\t.cc\""));
	CHECK(strstr(s, "\"module\": \"/tmp/caf\xc3\xa9\\ufffd\\ufffd"
			"\\ufffd\\ufffd.so\""));
	free(s);

	/* not classified; no records */
	{
		struct leak_summary k = {.classified = 0,
					 .unclassified_bytes = 1234567,
					 .unclassified_blocks = 3};
		init_ctx(&rc, NULL);
		CHECK_EQ_U(report_json(&rc, path, NULL, NULL, 0, &k), 0);
		s = slurp(path);
		CHECK(s && json_sane(s));
		CHECK(s && strstr(s, "\"classified\": false"));
		CHECK(s && strstr(s, "\"command\": null"));
		CHECK(s && strstr(s, "\"unclassified\": {\"bytes\": 1234567, "
				     "\"blocks\": 3}"));
		CHECK(s && strstr(s, "\"loss_records\": []\n}\n"));
		free(s);

		/* records and kinds of unclassified blocks are not written */
		k = *sum;
		k.classified = 0;
		k.unclassified_bytes = 4452;
		k.unclassified_blocks = 14;
		CHECK_EQ_U(report_json(&rc, path, "x", r, n, &k), 0);
		s = slurp(path);
		CHECK(s && json_sane(s));
		CHECK(s && strstr(s, "\"errors\": 0,"));
		CHECK(s && strstr(s, "\"definitely_lost\": {\"bytes\": 0, "
				     "\"blocks\": 0}"));
		CHECK(s && strstr(s, "\"length64\": {\"bytes\": 0, "
				     "\"blocks\": 0}"));
		CHECK(s && strstr(s, "\"unclassified\": {\"bytes\": 4452, "
				     "\"blocks\": 14}"));
		CHECK(s && strstr(s, "\"loss_records\": []\n}\n"));
		free(s);
	}

	CHECK(report_json(&rc, "/nonexistent/dir/x.json", "x", r, n, sum) ==
	      -ENOENT);
	if (getenv("TEST_REPORT_KEEP_JSON")) {
		weird = 1;
		report_json(&rc, getenv("TEST_REPORT_KEEP_JSON"), "./prog", r,
			    n, sum);
		weird = 0;
	}
	unlink(path);
}

int main(void)
{
	struct scan_block blocks[32];
	struct leak_summary sum;
	struct loss_record *r;
	size_t nb, n;

	make_stacks();
	nb = make_blocks(blocks);
	r = loss_records_build(blocks, nb, cliques, ncliques, &n, &sum);
	test_records(r, n, &sum);
	test_records_edge();
	test_text(r, n, &sum);
	test_error_count(r, n);
	test_json(r, n, &sum);
	CHECK(sym_calls > 0);

	free(r);
	stack_depot_release(&depot);
	return check_done("report");
}
