/*
 * test_suppress: suppression files of both formats, parsed from strings
 * and matched against made-up symbolized stacks; generated suppressions
 * fed back; supp_apply() on loss records with a fake symbolizer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "leakcheck/depot.h"
#include "leakcheck/suppress.h"
#include "leakcheck/sym.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define STDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30"
#define PROG "/work/prog"

/* malloc <- make_node (inlined into) build_list <- main <- below main */
static const struct supp_frame c_stack[] = {
    {"malloc", "malloc", LIBC, NULL, 0, 0},
    {"make_node", "make_node", PROG, "/src/list.c", 10, 1},
    {"build_list", "build_list", PROG, "/src/list.c", 22, 0},
    {"main", "main", PROG, "/src/main.c", 5, 0},
    {"__libc_start_call_main", "__libc_start_call_main", LIBC, NULL, 0, 0},
};

/* malloc <- operator new <- A::make() <- ??? in a stripped lib <- main */
static const struct supp_frame cxx_stack[] = {
    {"malloc", "malloc", LIBC, NULL, 0, 0},
    {"_Znwm", "operator new(unsigned long)", STDCXX, NULL, 0, 0},
    {"_ZN1A4makeEv", "A::make()", PROG, "/src/a.cc", 7, 0},
    {NULL, NULL, "/usr/lib/libthird.so", NULL, 0, 0},
    {"main", "main", PROG, "/src/a.cc", 30, 0},
};

/* new[]: malloc <- operator new <- operator new[] <- main */
static const struct supp_frame newarr_stack[] = {
    {"malloc", "malloc", LIBC, NULL, 0, 0},
    {"_Znwm", "operator new(unsigned long)", STDCXX, NULL, 0, 0},
    {"_Znam", "operator new[](unsigned long)", STDCXX, NULL, 0, 0},
    {"main", "main", PROG, "/src/a.cc", 30, 0},
};

static struct supp_set set;

/* Parse TEXT into a fresh SET; returns the parse result. */
static int load(const char *text)
{
	char *err = NULL;
	int ret;

	supp_set_release(&set);
	supp_set_init(&set);
	ret = supp_set_parse(&set, "t.supp", text, &err);
	if (ret && err)
		fprintf(stderr, "  (expected error: %s)\n", err);
	free(err);
	return ret;
}

/* Does TEXT (one suppression) suppress a KIND record with stack F? */
static int supp1(const char *text, enum leak_kind kind,
		 const struct supp_frame *f, size_t n)
{
	if (load(text) != 0)
		return -1;
	return supp_match(&set, kind, f, n, 1) != NULL;
}

#define VG(frames) "{\n  name\n  Memcheck:Leak\n" frames "}\n"
#define C_N ARRAY_SIZE(c_stack)
#define CXX_N ARRAY_SIZE(cxx_stack)

static void test_valgrind_match(void)
{
	/* a copied valgrind suppression: fun:malloc first */
	CHECK_EQ_U(supp1(VG("fun:malloc\nfun:make_node\nfun:build_list\n"),
			 LEAK_DEFINITE, c_stack, C_N),
		   1);
	/* prefix of the stack is enough */
	CHECK_EQ_U(supp1(VG("fun:malloc\n"), LEAK_DEFINITE, c_stack, C_N), 1);
	/* the inlined frame counts: skipping it does not match */
	CHECK_EQ_U(supp1(VG("fun:malloc\nfun:build_list\n"), LEAK_DEFINITE,
			 c_stack, C_N),
		   0);
	/* ... matches any number of frames, zero too */
	CHECK_EQ_U(supp1(VG("fun:malloc\n...\nfun:build_list\n"), LEAK_DEFINITE,
			 c_stack, C_N),
		   1);
	CHECK_EQ_U(
	    supp1(VG("...\nfun:make_node\n"), LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(
	    supp1(VG("...\n...\nfun:main\n...\n"), LEAK_DEFINITE, c_stack, C_N),
	    1);
	CHECK_EQ_U(supp1(VG("...\nfun:nothere\n"), LEAK_DEFINITE, c_stack, C_N),
		   0);
	/* wildcards */
	CHECK_EQ_U(supp1(VG("fun:m?lloc\nfun:make_*\nfun:*\n"), LEAK_DEFINITE,
			 c_stack, C_N),
		   1);
	CHECK_EQ_U(supp1(VG("fun:m?loc\n"), LEAK_DEFINITE, c_stack, C_N), 0);
	/* below main */
	CHECK_EQ_U(supp1(VG("...\nfun:main\nfun:(below main)\n"), LEAK_DEFINITE,
			 c_stack, C_N),
		   1);
	/* too long: more patterns than frames */
	CHECK_EQ_U(supp1(VG("fun:malloc\nfun:*\nfun:*\nfun:*\nfun:*\nfun:*\n"),
			 LEAK_DEFINITE, c_stack, C_N),
		   0);
	/* obj: of a program frame, src: with and without line */
	CHECK_EQ_U(supp1(VG("fun:malloc\nobj:/work/*\nobj:*prog\n"),
			 LEAK_DEFINITE, c_stack, C_N),
		   1);
	CHECK_EQ_U(
	    supp1(VG("...\nsrc:list.c:22\n"), LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(
	    supp1(VG("...\nsrc:list.c:23\n"), LEAK_DEFINITE, c_stack, C_N), 0);
	CHECK_EQ_U(
	    supp1(VG("...\nsrc:/src/ma*.c\n"), LEAK_DEFINITE, c_stack, C_N), 1);
	/* frame 0 is valgrind's preload, not libc */
	CHECK_EQ_U(supp1(VG("obj:*vgpreload_memcheck*\nfun:make_node\n"),
			 LEAK_DEFINITE, c_stack, C_N),
		   1);
	CHECK_EQ_U(supp1(VG("obj:/usr/lib/x86_64-linux-gnu/valgrind/"
			    "vgpreload_memcheck-amd64-linux.so\n"),
			 LEAK_DEFINITE, c_stack, C_N),
		   1);
	CHECK_EQ_U(supp1(VG("obj:*libc.so*\n"), LEAK_DEFINITE, c_stack, C_N),
		   0);
	/* ...but not when the stack does not start at the allocator */
	load(VG("obj:*libc.so*\n"));
	CHECK(supp_match(&set, LEAK_DEFINITE, c_stack, C_N, 0) != NULL);
	/* backslash quotes */
	CHECK_EQ_U(supp1(VG("fun:mall\\oc\n"), LEAK_DEFINITE, c_stack, C_N), 1);
}

static void test_valgrind_cxx(void)
{
	/* mangled names only, and frame 0 is operator new */
	CHECK_EQ_U(supp1(VG("fun:_Znwm\nfun:_ZN1A4makeEv\nobj:*libthird*\n"
			    "fun:main\n"),
			 LEAK_DEFINITE, cxx_stack, CXX_N),
		   1);
	CHECK_EQ_U(supp1(VG("fun:_Znwm\nfun:A::make()\n"), LEAK_DEFINITE,
			 cxx_stack, CXX_N),
		   0);
	CHECK_EQ_U(supp1(VG("fun:malloc\nfun:_Znwm\n"), LEAK_DEFINITE,
			 cxx_stack, CXX_N),
		   0);
	CHECK_EQ_U(supp1(VG("obj:*vgpreload*\nfun:_ZN1A*\n"), LEAK_DEFINITE,
			 cxx_stack, CXX_N),
		   1);
	/* new[] is frame 0, as valgrind replaces it */
	CHECK_EQ_U(
	    supp1(VG("fun:_Znam\nfun:main\n"), LEAK_DEFINITE, newarr_stack, 4),
	    1);
	CHECK_EQ_U(supp1(VG("fun:_Znwm\n"), LEAK_DEFINITE, newarr_stack, 4), 0);
	/* new[] tail-calls new: frame 0 new also matches a new[] pattern */
	CHECK_EQ_U(supp1(VG("fun:_Znam\nfun:_ZN1A4makeEv\n"), LEAK_DEFINITE,
			 cxx_stack, CXX_N),
		   1);
	CHECK_EQ_U(supp1(VG("fun:_Znwm\nfun:_Znam\n"), LEAK_DEFINITE, cxx_stack,
			 CXX_N),
		   0);
	CHECK_EQ_U(supp1("leak:new[]\n", LEAK_DEFINITE, newarr_stack, 4), 1);
	CHECK_EQ_U(supp1("leak:new(\n", LEAK_DEFINITE, newarr_stack, 4), 0);
	/* an unknown function is "???" */
	CHECK_EQ_U(supp1(VG("...\nfun:???\nfun:main\n"), LEAK_DEFINITE,
			 cxx_stack, CXX_N),
		   1);
}

static void test_valgrind_kinds(void)
{
	const char *def = "{\n n\n Memcheck:Leak\n match-leak-kinds: "
			  "definite,possible\n fun:malloc\n}\n";
	CHECK_EQ_U(supp1(def, LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1(def, LEAK_POSSIBLE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1(def, LEAK_INDIRECT, c_stack, C_N), 0);
	CHECK_EQ_U(supp1(def, LEAK_REACHABLE, c_stack, C_N), 0);
	CHECK_EQ_U(supp1("{\n n\n Memcheck:Leak\n match-leak-kinds: all\n"
			 " fun:malloc\n}\n",
			 LEAK_REACHABLE, c_stack, C_N),
		   1);
	CHECK_EQ_U(supp1("{\n n\n Memcheck:Leak\n match-leak-kinds:none\n"
			 " fun:malloc\n}\n",
			 LEAK_DEFINITE, c_stack, C_N),
		   0);
}

static void test_valgrind_parse(void)
{
	/* other kinds and tools: read, checked, ignored */
	CHECK_EQ_U(load("# comment\n\n{\n  cond\n  Memcheck:Cond\n  fun:f\n}\n"
			"{\n  p\n  Memcheck:Param\n  write(buf)\n  fun:write\n"
			"  ...\n}\n"
			"{\n  race\n  Helgrind:Race\n  anything at all\n}\n"
			"{\n  both\n  Memcheck,Helgrind:Leak\n  # inside\n"
			"  fun:malloc\n}\n"),
		   0);
	CHECK_EQ_U(set.n, 1);
	CHECK_EQ_U(set.ignored, 3);
	if (set.n == 1) {
		CHECK_STR(set.v[0].name, "both");
		CHECK_EQ_U(set.v[0].line, 21);
		CHECK_STR(set.v[0].file, "t.supp");
	}
	CHECK_EQ_U(load(""), 0);
	CHECK_EQ_U(load("# only a comment\n"), 0);
	CHECK_EQ_U(set.n, 0);

	/* errors name the line */
	char *err = NULL;
	struct {
		const char *text, *msg;
	} bad[] = {
	    {"{\n n\n Memcheck:Leak\n fun:malloc\n", "t.supp:4: end of file"},
	    {"{\n n\n Memcheck:Leak\n fun:malloc\n}\nfoo\n",
	     "t.supp:6: expected '{'"},
	    {"{\n n\n Memcheck:Leak\n fn:malloc\n}\n", "t.supp:4: frame line"},
	    {"{\n n\n Memcheck:Leek\n fun:malloc\n}\n",
	     "t.supp:3: unknown Memcheck suppression kind 'Leek'"},
	    {"{\n n\n Memcheck\n fun:malloc\n}\n",
	     "t.supp:3: expected TOOL:KIND"},
	    {"{\n n\n Memcheck:Leak\n}\n", "t.supp:4: suppression 'n' has no"},
	    {"{\n}\n", "t.supp:2: missing suppression name"},
	    {"{\n n\n Memcheck:Leak\n match-leak-kinds: lost\n fun:m\n}\n",
	     "t.supp:4: invalid match-leak-kinds"},
	    {"{\n n\n Memcheck:Cond\n match-leak-kinds: all\n fun:m\n}\n",
	     "t.supp:4: match-leak-kinds: in a Memcheck:Cond"},
	    {"\n\nhello world\n", "t.supp:3: not a suppression"},
	    {"leak:foo\ninterceptor_via_fun:bar\n",
	     "t.supp:2: expected 'leak:"},
	    {"leak:foo\n{\n", "t.supp:2: expected 'leak:"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		supp_set_release(&set);
		supp_set_init(&set);
		/* a good file first: a bad one must add nothing */
		CHECK_EQ_U(supp_set_parse(&set, "ok.supp", "leak:x\n", &err),
			   0);
		CHECK_EQ_U(supp_set_parse(&set, "t.supp", bad[i].text, &err),
			   (unsigned long long)-EINVAL);
		CHECK(err && strstr(err, bad[i].msg) == err);
		if (err && strstr(err, bad[i].msg) != err)
			fprintf(stderr, "  got: %s\n", err);
		CHECK_EQ_U(set.n, 1);
		free(err);
		err = NULL;
	}
	CHECK_EQ_U(supp_set_load(&set, "/nonexistent/x.supp", &err),
		   (unsigned long long)-ENOENT);
	CHECK(err == NULL);
}

static void test_lsan(void)
{
	/* function, module, file; any frame; substring */
	CHECK_EQ_U(supp1("leak:build_list\n", LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:make_no\n", LEAK_INDIRECT, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:list.c\n", LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:/work/prog\n", LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:nothere\n", LEAK_DEFINITE, c_stack, C_N), 0);
	/* frame 0 by name only: libc is below main here */
	CHECK_EQ_U(supp1("leak:malloc\n", LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:libc.so.6\n", LEAK_DEFINITE, c_stack, 4), 0);
	CHECK_EQ_U(supp1("leak:libc.so.6\n", LEAK_DEFINITE, c_stack, C_N), 1);
	/* demangled C++ names; operator new is frame 0 */
	CHECK_EQ_U(supp1("leak:A::make\n", LEAK_DEFINITE, cxx_stack, CXX_N), 1);
	CHECK_EQ_U(supp1("leak:libstdc++\n", LEAK_DEFINITE, cxx_stack, CXX_N),
		   0);
	CHECK_EQ_U(
	    supp1("leak:operator new\n", LEAK_DEFINITE, cxx_stack, CXX_N), 1);
	CHECK_EQ_U(supp1("leak:libthird\n", LEAK_DEFINITE, cxx_stack, CXX_N),
		   1);
	/* anchors and stars, as TemplateMatch */
	CHECK_EQ_U(supp1("leak:^build\n", LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:^uild\n", LEAK_DEFINITE, c_stack, C_N), 0);
	CHECK_EQ_U(supp1("leak:_list$\n", LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:^build_list$\n", LEAK_DEFINITE, c_stack, C_N),
		   1);
	CHECK_EQ_U(supp1("leak:^build_lis$\n", LEAK_DEFINITE, c_stack, C_N), 0);
	CHECK_EQ_U(supp1("leak:b*_l*t\n", LEAK_DEFINITE, c_stack, C_N), 1);
	CHECK_EQ_U(supp1("leak:^m*node$\n", LEAK_DEFINITE, c_stack, C_N), 1);
	/* LSan takes the first "e" of make_node, then wants the end */
	CHECK_EQ_U(supp1("leak:^m*e$\n", LEAK_DEFINITE, c_stack, C_N), 0);
	CHECK_EQ_U(supp1("leak:^ma*in$\n", LEAK_DEFINITE, c_stack, 2), 0);
	CHECK_EQ_U(supp1("leak:^ma*in$\n", LEAK_DEFINITE, c_stack, 4), 1);
	/* no backtracking, as LSan: "ab" is taken at its first occurrence,
	 * so "ab$" does not match "abxab" */
	const struct supp_frame ab[] = {{"f", "f", NULL, NULL, 0, 0},
					{"abxab", "abxab", NULL, NULL, 0, 0}};
	CHECK_EQ_U(supp1("leak:ab$\n", LEAK_DEFINITE, ab, 2), 0);
	CHECK_EQ_U(supp1("leak:xab$\n", LEAK_DEFINITE, ab, 2), 1);
	CHECK_EQ_U(supp1("leak:ab*$\n", LEAK_DEFINITE, ab, 2), 1);
	/* comments, blanks, white space around */
	CHECK_EQ_U(load("# lsan\n\n   leak:foo  \n\t# x\nleak:bar\n"), 0);
	CHECK_EQ_U(set.n, 2);
	if (set.n == 2) {
		CHECK_STR(set.v[0].pattern, "foo");
		CHECK_EQ_U(set.v[0].line, 3);
		CHECK_EQ_U(set.v[1].line, 5);
	}
}

/* supp_print for F, fed back: the record must be suppressed. */
static void round_trip(enum leak_kind kind, const struct supp_frame *f,
		       size_t n, const char *expect)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	supp_print(m, kind, f, n, 1);
	fclose(m);
	if (expect) {
		CHECK_STR(text, expect);
	}
	CHECK_EQ_U(load(text), 0);
	CHECK(supp_match(&set, kind, f, n, 1) != NULL);
	CHECK(supp_match(&set,
			 kind == LEAK_DEFINITE ? LEAK_POSSIBLE : LEAK_DEFINITE,
			 f, n, 1) == NULL);
	free(text);
}

static void test_generate(void)
{
	round_trip(LEAK_DEFINITE, c_stack, C_N,
		   "{\n   <insert_a_suppression_name_here>\n   Memcheck:Leak\n"
		   "   match-leak-kinds: definite\n   fun:malloc\n"
		   "   fun:make_node\n   fun:build_list\n   fun:main\n}\n");
	round_trip(LEAK_POSSIBLE, cxx_stack, CXX_N,
		   "{\n   <insert_a_suppression_name_here>\n   Memcheck:Leak\n"
		   "   match-leak-kinds: possible\n   fun:_Znwm\n"
		   "   fun:_ZN1A4makeEv\n   obj:/usr/lib/libthird.so\n"
		   "   fun:main\n}\n");
	/* no main: up to (below main); glob characters escaped */
	const struct supp_frame odd[] = {
	    {"calloc", "calloc", LIBC, NULL, 0, 0},
	    {"f*?\\", "f", "/odd", NULL, 0, 0},
	    {NULL, NULL, NULL, NULL, 0, 0},
	    {"__libc_start_call_main", NULL, LIBC, NULL, 0, 0},
	    {"_start", NULL, "/odd", NULL, 0, 0},
	};
	round_trip(LEAK_REACHABLE, odd, ARRAY_SIZE(odd),
		   "{\n   <insert_a_suppression_name_here>\n   Memcheck:Leak\n"
		   "   match-leak-kinds: reachable\n   fun:calloc\n"
		   "   fun:f\\*\\?\\\\\n   obj:*\n   fun:(below main)\n}\n");
	/* no stack at all */
	round_trip(LEAK_INDIRECT, NULL, 0, NULL);
}

/* supp_apply: records of a fake depot, symbolized by a fake. */
static int fake_sym(void *ctx, taddr_t pc, int is_return, struct sym_frame *out,
		    int max)
{
	const struct supp_frame *f = &c_stack[pc - 1];
	memset(out, 0, sizeof(*out));
	out->pc = pc;
	out->func = f->fn_demangled;
	out->mangled = f->fn;
	out->module = f->obj;
	out->file = f->file;
	out->line = f->line;
	return 1;
}

static void test_apply(void)
{
	struct stack_depot d;
	struct report_ctx rc;
	struct leak_summary sum;
	struct loss_record r[3];
	taddr_t deep[] = {1, 3, 4}, shallow[] = {1, 4};
	size_t n;

	stack_depot_init(&d);
	memset(&rc, 0, sizeof(rc));
	rc.depot = &d;
	rc.sym = fake_sym;
	memset(r, 0, sizeof(r));
	memset(&sum, 0, sizeof(sum));
	r[0].kind = LEAK_DEFINITE;
	r[0].stack_id = stack_depot_intern(&d, deep, 3);
	r[0].bytes = 100;
	r[0].blocks = 2;
	r[1].kind = LEAK_REACHABLE;
	r[1].stack_id = stack_depot_intern(&d, shallow, 2);
	r[1].bytes = 10;
	r[1].blocks = 1;
	r[2].kind = LEAK_DEFINITE;
	r[2].stack_id = 0; /* no stack */
	r[2].bytes = 7;
	r[2].blocks = 1;
	sum.bytes[LEAK_DEFINITE] = 107;
	sum.blocks[LEAK_DEFINITE] = 3;
	sum.bytes[LEAK_REACHABLE] = 10;
	sum.blocks[LEAK_REACHABLE] = 1;

	CHECK_EQ_U(
	    load(VG(
		"fun:malloc\nfun:build_list\n") "{\n s2\n Memcheck:Leak\n "
						"fun:malloc\n fun:main\n}\n"),
	    0);
	n = supp_apply(&set, &rc, r, 3, &sum);
	CHECK_EQ_U(n, 2);
	CHECK_EQ_U(r[0].suppressed, 1);
	CHECK_STR(r[0].suppression, "name");
	CHECK_EQ_U(r[1].suppressed, 1);
	CHECK_STR(r[1].suppression, "s2");
	CHECK_EQ_U(r[2].suppressed, 0);
	CHECK_EQ_U(sum.bytes[LEAK_DEFINITE], 7);
	CHECK_EQ_U(sum.blocks[LEAK_DEFINITE], 1);
	CHECK_EQ_U(sum.bytes[LEAK_REACHABLE], 0);
	CHECK_EQ_U(sum.suppressed_bytes, 110);
	CHECK_EQ_U(sum.suppressed_blocks, 3);
	CHECK_EQ_U(set.v[0].hits, 1);
	CHECK_EQ_U(set.v[1].hits, 1);

	/* num_callers cuts the stack before matching */
	r[0].suppressed = 0;
	rc.num_callers = 1;
	CHECK_EQ_U(load(VG("fun:malloc\nfun:build_list\n")), 0);
	CHECK_EQ_U(supp_apply(&set, &rc, r, 1, &sum), 0);
	stack_depot_release(&d);
}

/* supp_apply with the modules known cheaply (rc.module): a suppression
 * whose obj: lines match none of a record's modules is ruled out with no
 * frame symbolized; one that may match is matched as before. */
static unsigned fake_syms;
static int counting_sym(void *ctx, taddr_t pc, int is_return,
			struct sym_frame *out, int max)
{
	fake_syms++;
	return fake_sym(ctx, pc, is_return, out, max);
}

static const char *fake_module(void *ctx, taddr_t pc, int is_return)
{
	(void)ctx;
	(void)is_return;
	return c_stack[pc - 1].obj;
}

static void test_apply_modules(void)
{
	struct stack_depot d;
	struct report_ctx rc;
	struct leak_summary sum;
	struct loss_record r;
	taddr_t deep[] = {1, 3, 4};

	stack_depot_init(&d);
	memset(&rc, 0, sizeof(rc));
	rc.depot = &d;
	rc.sym = counting_sym;
	rc.module = fake_module;
	memset(&r, 0, sizeof(r));
	memset(&sum, 0, sizeof(sum));
	r.kind = LEAK_DEFINITE;
	r.stack_id = stack_depot_intern(&d, deep, 3);
	r.bytes = 100;
	r.blocks = 2;
	sum.bytes[LEAK_DEFINITE] = 100;
	sum.blocks[LEAK_DEFINITE] = 2;
	/* the built-in one (obj:*libtcmalloc*) and another library's */
	CHECK_EQ_U(load("{\n other\n Memcheck:Leak\n ...\n obj:*/libother.so\n"
			"}\n"),
		   0);
	supp_set_add_defaults(&set);
	fake_syms = 0;
	CHECK_EQ_U(supp_apply(&set, &rc, &r, 1, &sum), 0);
	CHECK_EQ_U(fake_syms, 0);
	CHECK_EQ_U(r.suppressed, 0);
	/* the program's module: it may match, and does */
	CHECK_EQ_U(
	    load("{\n prog\n Memcheck:Leak\n fun:malloc\n ...\n obj:" PROG
		 "\n fun:main\n}\n"),
	    0);
	CHECK_EQ_U(supp_apply(&set, &rc, &r, 1, &sum), 1);
	CHECK(fake_syms > 0);
	CHECK_EQ_U(r.suppressed, 1);
	/* a fun: line alone: names are needed, so symbolized */
	r.suppressed = 0;
	sum.bytes[LEAK_DEFINITE] = 100;
	sum.blocks[LEAK_DEFINITE] = 2;
	CHECK_EQ_U(load(VG("fun:malloc\nfun:build_list\n")), 0);
	fake_syms = 0;
	CHECK_EQ_U(supp_apply(&set, &rc, &r, 1, &sum), 1);
	CHECK(fake_syms > 0);
	stack_depot_release(&d);
}

/* The built-in suppressions parse, suppress tcmalloc's own startup
 * blocks (both kinds it leaves), and not a program's operator new made
 * from a constructor, nor a new called from tcmalloc after startup. */
static void test_defaults(void)
{
	static const char TC[] =
	    "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4.5.10";
	static const char LDSO[] =
	    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
	const struct supp_frame guard[] = {
	    {"_Znwm", "operator new(unsigned long)", TC, NULL, 0, 0},
	    {"_ZN13TCMallocGuardC1Ev", "TCMallocGuard::TCMallocGuard()", TC,
	     NULL, 0, 0},
	    {NULL, NULL, TC, NULL, 0, 0},
	    {"call_init", "call_init", LDSO, "dl-init.c", 74, 1},
	    {"call_init", "call_init", LDSO, "dl-init.c", 26, 0},
	    {"_dl_init", "_dl_init", LDSO, "dl-init.c", 121, 0},
	    {"_dl_start_user", "_dl_start_user", LDSO, NULL, 0, 0},
	};
	const struct supp_frame env[] = {
	    {"malloc", "malloc", TC, NULL, 0, 0},
	    {"__add_to_environ", "__add_to_environ", LIBC, "setenv.c", 217, 0},
	    {"_ZN15MallocExtension10InitializeEv",
	     "MallocExtension::Initialize()", TC, NULL, 0, 0},
	    {NULL, NULL, TC, NULL, 0, 0},
	    {"call_init", "call_init", LDSO, "dl-init.c", 74, 1},
	    {"_dl_init", "_dl_init", LDSO, "dl-init.c", 121, 0},
	};
	const struct supp_frame prog_ctor[] = {
	    {"_Znwm", "operator new(unsigned long)", STDCXX, NULL, 0, 0},
	    {"_ZN6ConfigC1Ev", "Config::Config()", PROG, "/src/a.cc", 9, 0},
	    {"call_init", "call_init", LDSO, "dl-init.c", 74, 1},
	    {"_dl_init", "_dl_init", LDSO, "dl-init.c", 121, 0},
	};
	const struct supp_frame later[] = {
	    {"_Znwm", "operator new(unsigned long)", TC, NULL, 0, 0},
	    {"_ZN15MallocExtension8RegisterEPS_",
	     "MallocExtension::Register(MallocExtension*)", TC, NULL, 0, 0},
	    {"main", "main", PROG, "/src/a.cc", 30, 0},
	};
	char *err = NULL;

	supp_set_release(&set);
	supp_set_init(&set);
	CHECK_EQ_U(
	    supp_set_parse(&set, SUPP_DEFAULT_NAME, supp_default_text, &err),
	    0);
	free(err);
	CHECK(set.n >= 1);
	CHECK(supp_match(&set, LEAK_DEFINITE, guard, ARRAY_SIZE(guard), 1) !=
	      NULL);
	CHECK(supp_match(&set, LEAK_REACHABLE, guard, ARRAY_SIZE(guard), 1) !=
	      NULL);
	CHECK(supp_match(&set, LEAK_REACHABLE, env, ARRAY_SIZE(env), 1) !=
	      NULL);
	CHECK(supp_match(&set, LEAK_DEFINITE, prog_ctor, ARRAY_SIZE(prog_ctor),
			 1) == NULL);
	CHECK(supp_match(&set, LEAK_DEFINITE, later, ARRAY_SIZE(later), 1) ==
	      NULL);
}

int main(void)
{
	supp_set_init(&set);
	test_valgrind_match();
	test_valgrind_cxx();
	test_valgrind_kinds();
	test_valgrind_parse();
	test_lsan();
	test_generate();
	test_apply();
	test_apply_modules();
	test_defaults();
	supp_set_release(&set);
	return check_done("suppress");
}
