/*
 * test_junit: XML escaping (every byte sequence gives well-formed XML
 * 1.0) and JUnit testcase names (kind and functions outside the
 * allocator, module+offset without a symbol, no addresses, equal names
 * told apart whatever the record order), on a real depot and a fake
 * symbolizer.  Then report_junit and junit_merge on those records.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "leakcheck/depot.h"
#include "leakcheck/report.h"
#include "leakcheck/sym.h"

static const char libc[] = "/usr/lib/x86_64-linux-gnu/libc.so.6";
static const char libstdcxx[] = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
static const char prog[] = "/home/u/proj/build/prog";

#define PC_MALLOC 0x7f0000001000ull
#define PC_NEW 0x7f0000101000ull
#define PC_F 0x555500001100ull
#define PC_G 0x555500001200ull
#define PC_MAIN 0x555500001300ull
#define PC_NOSYM 0x555500004321ull
#define PC_NOMOD 0x1234ull
#define PC_TPL 0x555500001400ull
#define PC_MAIN2 0x555500001310ull
#define PROG_BASE 0x555500000000ull

static void set(struct sym_frame *f, taddr_t pc, const char *func,
		const char *file, int line, const char *module, taddr_t base)
{
	memset(f, 0, sizeof(*f));
	f->pc = pc;
	f->func = func;
	f->file = file;
	f->line = line;
	f->module = module;
	f->module_base = base;
}

static int fake_sym(void *ctx, taddr_t pc, int is_return, struct sym_frame *out,
		    int max)
{
	switch (pc) {
	case PC_MALLOC:
		set(out, pc, "malloc", NULL, 0, libc, 0x7f0000000000ull);
		return 1;
	case PC_NEW:
		set(out, pc, "operator new(unsigned long)", NULL, 0, libstdcxx,
		    0x7f0000100000ull);
		return 1;
	case PC_F:
		set(out, pc, "f", "src/f.c", 10, prog, PROG_BASE);
		return 1;
	case PC_G:
		/* g inlined into h */
		set(&out[0], pc, "g", "src/g.h", 3, prog, PROG_BASE);
		out[0].inlined = 1;
		set(&out[1], pc, "h", "src/g.c", 20, prog, PROG_BASE);
		return 2;
	case PC_MAIN:
		set(out, pc, "main", "src/main.c", 5, prog, PROG_BASE);
		return 1;
	case PC_MAIN2:
		set(out, pc, "main", "src/main.c", 6, prog, PROG_BASE);
		return 1;
	case PC_NOSYM:
		set(out, pc, NULL, NULL, 0, prog, PROG_BASE);
		return 1;
	case PC_TPL:
		set(out, pc,
		    "Box<std::pair<int, char> >* make<Box<int&> >(A&&)",
		    "/home/u/proj/src/t.cc", 7, prog, PROG_BASE);
		return 1;
	default:
		set(out, pc, NULL, NULL, 0, NULL, 0);
		return 1;
	}
}

static void test_escape(void)
{
	char *s;

	s = xml_escape("a<b>&\"c'", 0);
	CHECK_STR(s, "a&lt;b&gt;&amp;&quot;c&apos;");
	free(s);
	s = xml_escape("t\tn\nr\r", 0);
	CHECK_STR(s, "t\tn\nr&#13;");
	free(s);
	s = xml_escape("t\tn\nr\r", 1);
	CHECK_STR(s, "t&#9;n&#10;r&#13;");
	free(s);
	/* forbidden controls dropped; DEL and C1 are allowed */
	s = xml_escape("a\x01\x1f\x7f"
		       "b",
		       0);
	CHECK_STR(s, "a\x7f"
		     "b");
	free(s);
	/* invalid UTF-8: lone continuation, truncated, overlong, surrogate,
	 * above U+10FFFF, 0xff */
	s = xml_escape("\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xff",
		       0);
	CHECK_STR(s, "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
		     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf"
		     "\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd");
	free(s);
	/* valid multibyte kept; U+FFFE and U+FFFF dropped */
	s = xml_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbe\xef"
		       "\xbf\xbfz",
		       1);
	CHECK_STR(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z");
	free(s);
	s = xml_escape(NULL, 0);
	CHECK_STR(s, "");
	free(s);
}

static struct stack_depot depot;

static uint32_t stack(const taddr_t *pcs, unsigned n)
{
	return stack_depot_intern(&depot, pcs, n);
}

static struct loss_record rec(enum leak_kind k, uint32_t sid, uint64_t bytes)
{
	struct loss_record r;
	memset(&r, 0, sizeof(r));
	r.kind = k;
	r.stack_id = sid;
	r.bytes = bytes;
	r.blocks = 1;
	return r;
}

static void test_names(void)
{
	static const taddr_t s1[] = {PC_MALLOC, PC_F, PC_G, PC_MAIN};
	static const taddr_t s2[] = {PC_MALLOC, PC_NEW, PC_TPL, PC_MAIN};
	static const taddr_t s3[] = {PC_MALLOC, PC_NOSYM, PC_NOMOD};
	static const taddr_t s4[] = {PC_MALLOC, PC_F, PC_G, PC_MAIN2};
	static const taddr_t s5[] = {PC_MALLOC};
	struct loss_record recs[6];
	struct report_ctx rc;
	size_t idx[6] = {0, 1, 2, 3, 4, 5}, idx_rev[6] = {5, 4, 3, 2, 1, 0};
	char *names[6], *names2[6];
	const char *files[6];
	int lines[6];

	stack_depot_init(&depot);
	recs[0] = rec(LEAK_DEFINITE, stack(s1, 4), 8);
	recs[1] = rec(LEAK_POSSIBLE, stack(s2, 4), 16);
	recs[2] = rec(LEAK_REACHABLE, stack(s3, 3), 24);
	recs[3] = rec(LEAK_DEFINITE, stack(s4, 4), 4); /* same 3 functions */
	recs[4] = rec(LEAK_INDIRECT, stack(s5, 1), 4);
	recs[5] = rec(LEAK_DEFINITE, 0, 4);
	memset(&rc, 0, sizeof(rc));
	rc.depot = &depot;
	rc.sym = fake_sym;
	rc.show_kinds = rc.error_kinds = 0xf;

	junit_case_names(&rc, recs, idx, 6, names, files, lines);
	/* s1 and s4 differ only in main's line: in whole-stack order
	 * main.c:5 (s1) comes first and keeps the plain name */
	CHECK_STR(names[0], "definitely lost in f from g from h");
	CHECK_STR(names[3], "definitely lost in f from g from h (2)");
	CHECK_STR(names[1], "possibly lost in Box<std::pair<int, char> >* "
			    "make<Box<int&> >(A&&) from main");
	CHECK_STR(names[2], "still reachable in prog+0x4321 from ???");
	CHECK_STR(names[4], "indirectly lost in malloc");
	CHECK_STR(names[5], "definitely lost (no stack)");
	CHECK_STR(files[0], "src/f.c");
	CHECK_EQ_U(lines[0], 10);
	CHECK_STR(files[1], "/home/u/proj/src/t.cc");
	CHECK(files[2] == NULL);
	CHECK(files[4] == NULL); /* libc is not the program's code */

	/* the same names whatever order the records come in */
	junit_case_names(&rc, recs, idx_rev, 6, names2, NULL, NULL);
	for (int i = 0; i < 6; i++)
		CHECK_STR(names2[5 - i], names[i]);
	for (int i = 0; i < 6; i++) {
		free(names[i]);
		free(names2[i]);
	}

	/* the writer and the merge on these records */
	{
		char dir[] = "/tmp/test_junit.XXXXXX", *a, *b, *m, *err = NULL;
		char *in[2];
		char *argv[] = {(char *)"./prog", (char *)"x<y", NULL};
		struct report_run run = {
		    .argv = argv, .ppid = 1, .seconds = 1.5, .start = 86400};
		struct leak_summary sum;
		int code = -1;
		FILE *f;
		char buf[8192];
		size_t n;

		CHECK(mkdtemp(dir) != NULL);
		a = malloc(strlen(dir) + 16);
		b = malloc(strlen(dir) + 16);
		m = malloc(strlen(dir) + 16);
		sprintf(a, "%s/a.xml", dir);
		sprintf(b, "%s/b.xml", dir);
		sprintf(m, "%s/m.xml", dir);
		memset(&sum, 0, sizeof(sum));
		sum.classified = 1;
		rc.pid = 42;
		CHECK_EQ_U(report_junit(&rc, a, &run, recs, 6, &sum), 0);
		rc.error_kinds = 0;
		rc.show_kinds = 0;
		CHECK_EQ_U(report_junit(&rc, b, NULL, recs, 6, &sum), 0);
		in[0] = a;
		in[1] = b;
		CHECK_EQ_U(junit_merge(m, in, 2, &err, &code), 0);
		CHECK_EQ_U(code, 0);
		f = fopen(m, "r");
		n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		buf[n] = 0;
		if (f)
			fclose(f);
		/* 6 failing + 1 "no leaks" */
		CHECK(strstr(buf, "<testsuites name=\"leakcheck\" tests=\"7\" "
				  "failures=\"6\" errors=\"0\" skipped=\"0\" "
				  "time=\"1.500\">") != NULL);
		CHECK(strstr(buf, "name=\"./prog x&lt;y\"") != NULL);
		CHECK(strstr(buf, "timestamp=\"1970-01-02T00:00:00\"") != NULL);
		CHECK(strstr(buf,
			     "make&lt;Box&lt;int&amp;&gt; &gt;(A&amp;&amp;)") !=
		      NULL);
		/* merging a file that is not ours fails and writes nothing */
		f = fopen(b, "w");
		if (f) {
			fputs("<testsuites/>\n", f);
			fclose(f);
		}
		unlink(m);
		CHECK(junit_merge(m, in, 2, &err, &code) == -1);
		CHECK_EQ_U(code, 65);
		CHECK(err && strstr(err, "line 1: not a leakcheck JUnit file"));
		CHECK(access(m, F_OK) != 0);
		free(err);
		unlink(a);
		unlink(b);
		rmdir(dir);
		free(a);
		free(b);
		free(m);
	}
	stack_depot_release(&depot);
}

int main(void)
{
	test_escape();
	test_names();
	return check_done("test_junit");
}
