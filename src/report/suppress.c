/*
 * suppress: valgrind and LSan suppression files, matching, and valgrind's
 * --gen-suppressions output.
 *
 * Formats (one per file, told by its first line that is not blank or a
 * '#' comment: "{" is valgrind's, "TYPE:..." is LSan's):
 *
 *   valgrind (manual "Suppressing errors"; memcheck's Leak kind):
 *     {
 *        NAME
 *        TOOL[,TOOL...]:KIND
 *        [match-leak-kinds: definite,indirect,possible,reachable|all|none]
 *        fun:GLOB | obj:GLOB | src:GLOB[:LINE] | ...     (one or more)
 *     }
 *   Lines are trimmed; blank lines and '#' lines are skipped anywhere.
 *   Blocks for other tools are skipped; Memcheck blocks of other kinds
 *   (Cond, Param -- which has one extra line -- Free, ...) are checked
 *   and then ignored.  GLOB has '*', '?' and '\' escapes
 *   (VG_(string_match)); "..." matches any number of frames, zero too.
 *   Patterns match from frame 0 on; frames left over after the last
 *   pattern do not matter.  fun: matches the MANGLED name (valgrind
 *   matches the C++-mangled, Z-decoded name: "_ZN1A3getEv", never
 *   "A::get()"); an unknown name or object is "???"; the functions below
 *   main (__libc_start_call_main, ...) are "(below main)".  obj: matches
 *   the module's path; src: the source file's base name (or its path, if
 *   the pattern has a '/'), and the line if given.  Inlined calls are
 *   frames of their own, innermost first, as with valgrind's
 *   --read-inline-info=yes.
 *
 *   LSan (sanitizer_common's suppressions, type "leak" only):
 *     leak:PATTERN
 *   PATTERN matches (LSan's TemplateMatch) as a substring, with '*' for
 *   any run of characters and '^'/'$' anchoring at the start/end; the
 *   match is LSan's: left to right, each literal part at its first
 *   occurrence, no backtracking.  A record is suppressed when PATTERN
 *   matches, in ANY frame, the module path, the (demangled) function name
 *   or the source file path.  Other types ("interceptor_via_fun:", ...)
 *   are errors, as in a standalone LSan.
 *
 * Frame 0: leakcheck's frame 0 is the allocator entry point it broke on,
 * in libc ("malloc" in libc.so.6).  valgrind's frame 0 is its replacement
 * of that function, in vgpreload_memcheck-*.so; LSan's is its interceptor
 * in the sanitizer runtime.  So that suppressions written for them mean
 * the same here:
 *   - C++: operator new calls malloc from libstdc++, so our stack is
 *     malloc, operator new, caller (and new[] adds itself above new);
 *     valgrind and LSan replace operator new or new[] itself and have
 *     operator new[], caller.  So frames 1.. that are operator new or
 *     new[] (mangled "_Znw*", "_Zna*") take frame 0 with them: the
 *     outermost of them is frame 0, and a copied "fun:_Znam" first line
 *     matches.  libstdc++'s new[] tail-calls new, leaving no frame of its
 *     own, so a frame 0 operator new ("_Znw...") also matches a fun:
 *     pattern for the same operator new[] ("_Zna..."): a suppression for
 *     new[] also suppresses new from the same caller.
 *   - valgrind: frame 0's function name is the allocator's ("malloc",
 *     "calloc", ...) so the usual first line "fun:malloc" matches; its
 *     object is valgrind's preload: obj: matches VG_PRELOAD, or any
 *     pattern whose last path component matches that file name
 *     ("obj:*vgpreload_memcheck*", "obj:/usr/lib/x86_64-linux-gnu/
 *     valgrind/vgpreload_memcheck-amd64-linux.so").  "obj:*libc.so*"
 *     does not match frame 0, as it does not under valgrind.
 *   - LSan: frame 0 is matched by function name only (LSan's module
 *     there is its runtime, never the program's libc).  As under LSan,
 *     "leak:libc.so.6" still matches nearly everything: the frames below
 *     main are in libc.
 *
 * Generated suppressions (--gen-suppressions) take the same view of the
 * stack, so fed back they suppress what they came from: one line per
 * frame (inline frames too), "fun:MANGLED", or "obj:MODULE" when there
 * is no name, or "obj:*"; cut after main (or after the first frame below
 * main), as valgrind's VG_(apply_StackTrace) does; '*', '?' and '\' in
 * names are escaped.
 *
 * Invariants: a struct supp_set owns every string its suppressions point
 * to; loading a file either adds all its suppressions or none.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/suppress.h"
#include "leakcheck/depot.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

/* valgrind 3.19's preload on Debian 12: what valgrind's frame 0 is in. */
#define VG_PRELOAD "/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so"
/* valgrind's VG_DEEPEST_BACKTRACE: most frame lines in a suppression */
#define SUPP_MAX_LOCS 500

enum loc_kind {
	LOC_FUN, /* fun:GLOB */
	LOC_OBJ, /* obj:GLOB */
	LOC_SRC, /* src:GLOB[:LINE] */
	LOC_ANY, /* ...: any number of frames */
};

struct supp_loc {
	enum loc_kind kind;
	char *pat;
	int line; /* LOC_SRC: 0 = any */
};

/* memcheck's suppression kinds (mc_errors.c); Param has one extra line */
static const char *const mc_kinds[] = {
    "Value0",  "Value1",  "Value2",  "Value4",	   "Value8",	  "Value16",
    "Value32", "Cond",	  "Addr1",   "Addr2",	   "Addr4",	  "Addr8",
    "Addr16",  "Addr32",  "Jump",    "Param",	   "User",	  "Free",
    "Leak",    "Overlap", "Mempool", "FishyValue", "ReallocZero",
};

void supp_set_init(struct supp_set *set)
{
	memset(set, 0, sizeof(*set));
}

static void supp_release(struct supp *s)
{
	free(s->name);
	for (size_t i = 0; i < s->nlocs; i++)
		free(s->locs[i].pat);
	free(s->locs);
}

void supp_set_release(struct supp_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		supp_release(&set->v[i]);
	free(set->v);
	for (size_t i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->files);
	memset(set, 0, sizeof(*set));
}

/* Parsing */

struct parser {
	const char *name; /* file name, for messages */
	const char *p;	  /* next unread character */
	int lineno;	  /* of the line last read */
	char *buf;	  /* the line last read, trimmed */
	size_t cap;
	char *err; /* first error, malloc'd */
};

/*
 * Next line that is not blank or a '#' comment, trimmed of white space
 * at both ends, in PS->buf; NULL at end of text.
 */
static const char *next_line(struct parser *ps)
{
	while (*ps->p) {
		const char *l = ps->p, *e = strchr(l, '\n');
		size_t len;
		if (!e)
			e = l + strlen(l);
		ps->p = *e ? e + 1 : e;
		ps->lineno++;
		while (l < e && strchr(" \t\r\f\v", *l))
			l++;
		while (e > l && strchr(" \t\r\f\v", e[-1]))
			e--;
		if (l == e || *l == '#')
			continue;
		len = (size_t)(e - l);
		ps->buf = xgrow(ps->buf, &ps->cap, len + 1, 1);
		memcpy(ps->buf, l, len);
		ps->buf[len] = 0;
		return ps->buf;
	}
	return NULL;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (ps->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->err = xasprintf("%s:%d: %s", ps->name, ps->lineno, msg);
	return -EINVAL;
}

static void set_add(struct supp_set *set, const struct supp *s)
{
	set->v = xgrow(set->v, &set->cap, set->n + 1, sizeof(*set->v));
	set->v[set->n++] = *s;
}

/* Does the comma-separated list TOOLS name memcheck? */
static int names_memcheck(const char *tools, size_t len)
{
	while (len) {
		size_t l = 0;
		while (l < len && tools[l] != ',')
			l++;
		if (l == 8 && !strncmp(tools, "Memcheck", 8))
			return 1;
		tools += l;
		len -= l;
		if (len) {
			tools++;
			len--;
		}
	}
	return 0;
}

/* A frame line of a valgrind suppression into *LOC; 0 or -EINVAL. */
static int parse_loc(struct parser *ps, const char *l, struct supp_loc *loc)
{
	memset(loc, 0, sizeof(*loc));
	if (!strcmp(l, "...")) {
		loc->kind = LOC_ANY;
		return 0;
	}
	if (!strncmp(l, "fun:", 4)) {
		loc->kind = LOC_FUN;
	} else if (!strncmp(l, "obj:", 4)) {
		loc->kind = LOC_OBJ;
	} else if (!strncmp(l, "src:", 4)) {
		const char *colon = strrchr(l + 4, ':');
		loc->kind = LOC_SRC;
		if (colon && colon[1] &&
		    strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
			loc->line = atoi(colon + 1);
			loc->pat =
			    xasprintf("%.*s", (int)(colon - (l + 4)), l + 4);
			return 0;
		}
	} else {
		return fail(ps,
			    "frame line '%s' should be '...' or start with "
			    "'fun:', 'obj:' or 'src:'",
			    l);
	}
	loc->pat = xstrdup(l + 4);
	return 0;
}

/*
 * One valgrind suppression, its '{' just read.  Returns 0 and fills *S
 * (S->nlocs == 0: not a leak suppression, ignore it) or -EINVAL.
 */
static int parse_valgrind_one(struct parser *ps, struct supp *s)
{
	const char *l, *colon;
	char kind[32];
	int memcheck, leak, param;
	size_t cap = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	s->format = SUPP_VALGRIND;
	s->kinds = (1u << LEAK_NKINDS) - 1;
	if (!(l = next_line(ps)) || !strcmp(l, "}"))
		return fail(ps, "missing suppression name after '{'");
	s->name = xstrdup(l);
	s->line = ps->lineno;
	if (!(l = next_line(ps)) || !strcmp(l, "}"))
		return fail(ps,
			    "missing TOOL:KIND line (e.g. Memcheck:Leak) "
			    "in suppression '%s'",
			    s->name);
	colon = strchr(l, ':');
	if (!colon || colon == l || !colon[1])
		return fail(
		    ps, "expected TOOL:KIND (e.g. Memcheck:Leak), got '%s'", l);
	memcheck = names_memcheck(l, (size_t)(colon - l));
	if (!memcheck) {
		/* another tool's: skipped whole, as valgrind does */
		while ((l = next_line(ps)) && strcmp(l, "}"))
			;
		if (!l)
			return fail(ps, "end of file inside suppression '%s'",
				    s->name);
		return 0;
	}
	{
		int known = 0;
		for (size_t i = 0; i < ARRAY_SIZE(mc_kinds); i++)
			known |= !strcmp(colon + 1, mc_kinds[i]);
		if (!known)
			return fail(ps,
				    "unknown Memcheck suppression kind '%s'",
				    colon + 1);
	}
	/* the line buffer is reused: keep the kind */
	snprintf(kind, sizeof(kind), "%s", colon + 1);
	leak = !strcmp(kind, "Leak");
	param = !strcmp(kind, "Param");
	l = next_line(ps);
	if (param && l && strcmp(l, "}"))
		l = next_line(ps); /* the syscall parameter's name */
	if (l && !strncmp(l, "match-leak-kinds:", 17)) {
		const char *k = l + 17;
		while (*k == ' ' || *k == '\t')
			k++;
		if (!leak)
			return fail(ps,
				    "match-leak-kinds: in a Memcheck:%s "
				    "suppression",
				    kind);
		if (!*k || leak_kinds_parse(k, &s->kinds))
			return fail(ps,
				    "invalid match-leak-kinds: '%s': expected "
				    "definite,indirect,possible,reachable, all "
				    "or none",
				    k);
		l = next_line(ps);
	}
	for (; l && strcmp(l, "}"); l = next_line(ps)) {
		struct supp_loc loc;
		if (s->nlocs >= SUPP_MAX_LOCS)
			return fail(ps,
				    "more than %d frames in suppression '%s'",
				    SUPP_MAX_LOCS, s->name);
		if ((ret = parse_loc(ps, l, &loc)))
			return ret;
		s->locs = xgrow(s->locs, &cap, s->nlocs + 1, sizeof(*s->locs));
		s->locs[s->nlocs++] = loc;
	}
	if (!l)
		return fail(ps, "end of file inside suppression '%s'", s->name);
	if (s->nlocs == 0)
		return fail(ps, "suppression '%s' has no frame lines", s->name);
	if (!leak) {
		/* checked, not used */
		supp_release(s);
		memset(s, 0, sizeof(*s));
	}
	return 0;
}

static int parse_valgrind(struct parser *ps, struct supp_set *set,
			  const char *file)
{
	const char *l = ps->buf; /* the first line, already read */

	do {
		struct supp s;
		int ret;
		if (strcmp(l, "{"))
			return fail(ps, "expected '{' or end of file, got '%s'",
				    l);
		ret = parse_valgrind_one(ps, &s);
		if (ret) {
			supp_release(&s);
			return ret;
		}
		if (s.nlocs) {
			s.file = file;
			set_add(set, &s);
		} else {
			supp_release(&s);
			set->ignored++;
		}
	} while ((l = next_line(ps)));
	return 0;
}

static int parse_lsan(struct parser *ps, struct supp_set *set, const char *file)
{
	const char *l = ps->buf;

	do {
		struct supp s;
		if (strncmp(l, "leak:", 5))
			return fail(
			    ps,
			    "expected 'leak:PATTERN' (LSan format), got "
			    "'%s'",
			    l);
		memset(&s, 0, sizeof(s));
		s.format = SUPP_LSAN;
		s.kinds = (1u << LEAK_NKINDS) - 1;
		s.name = xstrdup(l);
		s.pattern = s.name + 5;
		s.file = file;
		s.line = ps->lineno;
		set_add(set, &s);
	} while ((l = next_line(ps)));
	return 0;
}

int supp_set_parse(struct supp_set *set, const char *name, const char *text,
		   char **err)
{
	struct parser ps = {.name = name, .p = text};
	size_t n0 = set->n, ignored0 = set->ignored;
	const char *l;
	char *file;
	int ret = 0;

	*err = NULL;
	file = xstrdup(name);
	l = next_line(&ps);
	if (!l)
		ret = 0; /* empty, or only comments */
	else if (!strcmp(l, "{"))
		ret = parse_valgrind(&ps, set, file);
	else if (strspn(l, "abcdefghijklmnopqrstuvwxyz_") > 0 &&
		 l[strspn(l, "abcdefghijklmnopqrstuvwxyz_")] == ':')
		ret = parse_lsan(&ps, set, file);
	else
		ret = fail(&ps,
			   "not a suppression: expected '{' (valgrind format) "
			   "or 'leak:PATTERN' (LSan format), got '%s'",
			   l);
	free(ps.buf);
	if (ret) {
		while (set->n > n0)
			supp_release(&set->v[--set->n]);
		set->ignored = ignored0;
		free(file);
		*err = ps.err;
		return ret;
	}
	set->files = xgrow(set->files, &set->files_cap, set->nfiles + 1,
			   sizeof(*set->files));
	set->files[set->nfiles++] = file;
	return 0;
}

/*
 * The built-in suppressions (--default-suppressions=yes), like valgrind's
 * default.supp: memory an allocator allocates for itself from its start
 * and keeps until the process dies, which no program can free.  Each is
 * one that valgrind never sees, as under valgrind the allocator is
 * replaced.  Keep each narrow: the allocator's own object, frames up to
 * the dynamic linker's call of its constructors.
 *
 *   tcmalloc (gperftools 2.10): its constructor news a TCMallocGuard
 *   (16 bytes, kept), and MallocExtension::Register news a default
 *   MallocExtension (8 bytes) that it then drops for its own
 *   implementation unless it runs under valgrind: "definitely lost" in
 *   every program that loads libtcmalloc.  It also setenv()s two
 *   variables (glibc's freeres frees them at a normal exit, not after a
 *   fatal signal).  So: whatever is allocated under libtcmalloc's code
 *   while the dynamic linker runs the constructors.
 */
const char supp_default_text[] =
    "{\n"
    "   tcmalloc: the blocks libtcmalloc's constructor allocates\n"
    "   Memcheck:Leak\n"
    "   match-leak-kinds: all\n"
    "   ...\n"
    "   obj:*/libtcmalloc*.so*\n"
    "   ...\n"
    "   fun:_dl_init\n"
    "}\n";

void supp_set_add_defaults(struct supp_set *set)
{
	char *err = NULL;

	/* fixed text: a syntax error is leakcheck's bug, caught by tests */
	if (supp_set_parse(set, SUPP_DEFAULT_NAME, supp_default_text, &err))
		die(LC_EXIT_INTERNAL, "default suppressions: %s", err);
}

int supp_set_load(struct supp_set *set, const char *path, char **err)
{
	char *text;
	size_t len;
	int ret;

	*err = NULL;
	ret = infile_read(path, SUPP_MAX_BYTES, &text, &len);
	if (ret == -EILSEQ) {
		*err =
		    xasprintf("%s: binary file, not a suppressions file", path);
		return -EINVAL;
	}
	if (ret)
		return ret;
	ret = supp_set_parse(set, path, text, err);
	free(text);
	return ret;
}

/* Matching */

/* valgrind's VG_(string_match): '*', '?', and '\' quoting the next. */
int report_glob_match(const char *pat, const char *str)
{
	for (;;) {
		switch (*pat) {
		case 0:
			return *str == 0;
		case '*':
			do {
				if (report_glob_match(pat + 1, str))
					return 1;
			} while (*str++);
			return 0;
		case '?':
			if (*str++ == 0)
				return 0;
			pat++;
			break;
		case '\\':
			if (*++pat == 0)
				return 0;
			/* fall through */
		default:
			if (*pat++ != *str++)
				return 0;
			break;
		}
	}
}

/* LSan's TemplateMatch: see the top of the file. */
static int lsan_match(const char *t, const char *s)
{
	int anchored = 0, star = 0;

	if (!s || !*s)
		return 0;
	if (*t == '^') {
		anchored = 1;
		t++;
	}
	while (*t) {
		size_t len;
		const char *hit;
		if (*t == '*') {
			t++;
			anchored = 0;
			star = 1;
			continue;
		}
		if (*t == '$')
			return *s == 0 || star;
		if (*s == 0)
			return 0;
		len = strcspn(t, "*$");
		hit = memmem(s, strlen(s), t, len);
		if (!hit || (anchored && hit != s))
			return 0;
		s = hit + len;
		t += len;
		anchored = 0;
		star = 0;
	}
	return 1;
}

/* As text.c's fn_kind: libc's callers of main, which valgrind renames. */
static int below_main(const char *fn)
{
	static const char *const below[] = {
	    "__libc_start_main", "__libc_start_main_impl",
	    "__libc_start_call_main", "generic_start_main"};
	for (size_t i = 0; fn && i < ARRAY_SIZE(below); i++)
		if (!strcmp(fn, below[i]))
			return 1;
	return 0;
}

static int is_operator_new(const char *fn)
{
	return fn && (!strncmp(fn, "_Znw", 4) || !strncmp(fn, "_Zna", 4));
}

/* Index of the frame valgrind and LSan would call frame 0: the allocator,
 * or the outermost of the operator new frames right above it (new[]
 * calls new in libstdc++; valgrind replaces new[] itself). */
static size_t first_frame(const struct supp_frame *f, size_t n, int alloc0)
{
	size_t first = 0;

	if (!alloc0)
		return 0;
	while (first + 1 < n && is_operator_new(f[first + 1].fn))
		first++;
	return first;
}

/* valgrind's name for F's function in suppressions */
static const char *vg_fn(const struct supp_frame *f)
{
	if (!f->fn)
		return "???";
	return below_main(f->fn) ? "(below main)" : f->fn;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Does LOC (not LOC_ANY) match frame F?  PRELOAD: F is the replaced
 * allocator, in valgrind's preload as far as obj: is concerned. */
static int loc_match(const struct supp_loc *loc, const struct supp_frame *f,
		     int preload)
{
	switch (loc->kind) {
	case LOC_FUN:
		if (report_glob_match(loc->pat, vg_fn(f)))
			return 1;
		if (preload && is_operator_new(f->fn) && f->fn[3] == 'w') {
			/* libstdc++'s new[] tail-calls new: "_Znam" is gone
			 * from our stack, valgrind's frame 0 may be it */
			char *arr = xstrdup(f->fn);
			int m;
			arr[3] = 'a';
			m = report_glob_match(loc->pat, arr);
			free(arr);
			return m;
		}
		return 0;
	case LOC_OBJ:
		if (preload)
			return report_glob_match(loc->pat, VG_PRELOAD) ||
			       report_glob_match(base_name(loc->pat),
						 base_name(VG_PRELOAD));
		return report_glob_match(loc->pat, f->obj ? f->obj : "???");
	case LOC_SRC:
		if (!f->file)
			return 0;
		if (loc->line && loc->line != f->line)
			return 0;
		return report_glob_match(loc->pat, strchr(loc->pat, '/')
						       ? f->file
						       : base_name(f->file));
	case LOC_ANY:
		break;
	}
	return 0;
}

/* valgrind's VG_(generic_match) of LOCS[i..] against F[j..n), without
 * needing all of F. */
static int locs_match(const struct supp_loc *locs, size_t nlocs, size_t i,
		      const struct supp_frame *f, size_t n, size_t j,
		      size_t preload_at)
{
	for (; i < nlocs; i++, j++) {
		if (locs[i].kind == LOC_ANY) {
			/* collapse runs of "..." */
			while (i + 1 < nlocs && locs[i + 1].kind == LOC_ANY)
				i++;
			if (i + 1 == nlocs)
				return 1;
			for (size_t k = j; k < n; k++)
				if (locs_match(locs, nlocs, i + 1, f, n, k,
					       preload_at))
					return 1;
			return 0;
		}
		if (j >= n || !loc_match(&locs[i], &f[j], j == preload_at))
			return 0;
	}
	return 1;
}

static int lsan_stack_match(const char *pat, const struct supp_frame *f,
			    size_t n, size_t first)
{
	for (size_t j = first; j < n; j++) {
		/* frame 0 stands for LSan's interceptor: its name only */
		if (j > first &&
		    (lsan_match(pat, f[j].obj) || lsan_match(pat, f[j].file)))
			return 1;
		if (lsan_match(pat,
			       f[j].fn_demangled ? f[j].fn_demangled : f[j].fn))
			return 1;
	}
	return 0;
}

struct supp *supp_match(struct supp_set *set, enum leak_kind kind,
			const struct supp_frame *f, size_t n, int alloc0)
{
	static const struct supp_frame unknown;
	size_t first, preload_at;

	if (n == 0) {
		/* no stack (allocated before we attached): one unknown
		 * frame, which "obj:*" (what we generate then) matches */
		f = &unknown;
		n = 1;
		alloc0 = 0;
	}
	first = first_frame(f, n, alloc0);
	/* the replaced allocator, if any, is F[first] */
	preload_at = alloc0 ? 0 : (size_t)-1;

	for (size_t i = 0; i < set->n; i++) {
		struct supp *s = &set->v[i];
		int m;
		if (!(s->kinds & (1u << kind)))
			continue;
		if (s->format == SUPP_LSAN)
			m = lsan_stack_match(s->pattern, f, n, first);
		else
			m = locs_match(s->locs, s->nlocs, 0, f + first,
				       n - first, 0, preload_at);
		if (m) {
			s->hits++;
			return s;
		}
	}
	return NULL;
}

/* Generating */

/* S with '*', '?' and '\' escaped, as a glob that matches only S; each
 * byte not safe on a terminal (printable_seq(): control bytes, bytes
 * that are not UTF-8) is '?', which matches it, and only one byte. */
static void put_escaped(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = printable_seq(p);
		if (!n) {
			fputc('?', out);
			p++;
			continue;
		}
		if (*p == '*' || *p == '?' || *p == '\\')
			fputc('\\', out);
		fwrite(p, 1, n, out);
		p += n;
	}
}

void supp_print(FILE *out, enum leak_kind kind, const struct supp_frame *f,
		size_t n, int alloc0)
{
	size_t first = first_frame(f, n, alloc0), end = n;

	/* valgrind's VG_(apply_StackTrace): from the outermost frame in,
	 * stop at the first main; else keep up to the innermost frame below
	 * main.  A PC's function is its last (non-inlined) frame. */
	for (size_t j = n; j-- > first;) {
		if (f[j].inlined)
			continue;
		if (below_main(f[j].fn))
			end = j + 1;
		if (f[j].fn && !strcmp(f[j].fn, "main")) {
			end = j + 1;
			break;
		}
	}
	fprintf(out,
		"{\n   <insert_a_suppression_name_here>\n"
		"   Memcheck:Leak\n   match-leak-kinds: %s\n",
		leak_kind_name(kind));
	for (size_t j = first; j < end; j++) {
		if (f[j].fn) {
			fputs("   fun:", out);
			put_escaped(out, vg_fn(&f[j]));
		} else if (f[j].obj) {
			fputs("   obj:", out);
			put_escaped(out, f[j].obj);
		} else {
			fputs("   obj:*", out);
		}
		fputc('\n', out);
	}
	if (first >= end) /* no stack: a frame line is required */
		fputs("   obj:*\n", out);
	fputs("}\n", out);
}

/* The report's side */

struct supp_frame *supp_frames_of(const struct report_ctx *rc,
				  const struct loss_record *r, size_t *n)
{
	unsigned npc;
	const taddr_t *pcs = report_stack(rc, r, &npc);
	struct supp_frame *f = NULL;
	size_t nf = 0, cap = 0;

	for (unsigned i = 0; i < npc; i++) {
		struct sym_frame sf[REPORT_MAX_INLINE];
		int k = report_lookup(rc, pcs[i], i > 0, sf);
		f = xgrow(f, &cap, nf + (size_t)k, sizeof(*f));
		for (int j = 0; j < k; j++) {
			f[nf].fn = sf[j].mangled;
			f[nf].fn_demangled = sf[j].func;
			f[nf].obj = sf[j].module;
			f[nf].file = sf[j].file;
			f[nf].line = sf[j].line;
			f[nf].inlined = sf[j].inlined;
			nf++;
		}
	}
	*n = nf;
	return f;
}

/*
 * Can S match a record whose frames lie in the modules OBJS[0..N) (NULL:
 * none, "???" to obj:), frame 0 the allocator's if ALLOC0?  Only its
 * obj: lines are looked at, each of which must match some frame: one
 * that matches none of the modules (nor, at frame 0, valgrind's preload,
 * as loc_match has it) rules S out.  Exact as far as it goes: it says
 * "may" for every S that could match.
 */
static int may_match_objs(const struct supp *s, const char *const *objs,
			  size_t n, int alloc0)
{
	if (s->format != SUPP_VALGRIND)
		return 1;
	for (size_t i = 0; i < s->nlocs; i++) {
		const struct supp_loc *loc = &s->locs[i];
		size_t j;
		if (loc->kind != LOC_OBJ)
			continue;
		if (alloc0 && (report_glob_match(loc->pat, VG_PRELOAD) ||
			       report_glob_match(base_name(loc->pat),
						 base_name(VG_PRELOAD))))
			continue;
		for (j = 0; j < n; j++)
			if (report_glob_match(loc->pat,
					      objs[j] ? objs[j] : "???"))
				break;
		if (j == n && !(n == 0 && report_glob_match(loc->pat, "???")))
			return 0;
	}
	return 1;
}

/* May any suppression of SET match R?  Looks at the modules of its
 * frames only (RC->module): symbolizing a stack can mean reading a
 * module's whole debug information (10 MB of libc's, decompressed, at
 * every exit of every program when libc6-dbg is installed), for a
 * record no suppression could match. */
static int supp_may_match(const struct supp_set *set,
			  const struct report_ctx *rc,
			  const struct loss_record *r)
{
	unsigned npc;
	const taddr_t *pcs;
	const char **objs;
	int may = 0;

	if (!rc->module)
		return 1;
	pcs = report_stack(rc, r, &npc);
	objs = xmalloc((npc ? npc : 1) * sizeof(*objs));
	for (unsigned i = 0; i < npc; i++)
		objs[i] = rc->module(rc->sym_ctx, pcs[i], i > 0);
	for (size_t i = 0; i < set->n && !may; i++)
		may = (set->v[i].kinds & (1u << r->kind)) &&
		      may_match_objs(&set->v[i], objs, npc, npc > 0);
	free(objs);
	return may;
}

size_t supp_apply(struct supp_set *set, const struct report_ctx *rc,
		  struct loss_record *recs, size_t nrec,
		  struct leak_summary *sum)
{
	size_t count = 0;

	if (!set || set->n == 0)
		return 0;
	for (size_t i = 0; i < nrec; i++) {
		struct loss_record *r = &recs[i];
		struct supp_frame *f;
		struct supp *s;
		size_t n;
		if (r->suppressed || r->blocks == 0 ||
		    !supp_may_match(set, rc, r))
			continue;
		f = supp_frames_of(rc, r, &n);
		/* frame 0 of a depot stack is the allocator's entry point */
		s = supp_match(set, r->kind, f, n, n > 0);
		free(f);
		if (!s)
			continue;
		r->suppressed = 1;
		r->suppression = s->name;
		BUG_ON(sum->blocks[r->kind] < r->blocks ||
		       sum->bytes[r->kind] < r->bytes);
		sum->bytes[r->kind] -= r->bytes;
		sum->blocks[r->kind] -= r->blocks;
		sum->suppressed_bytes += r->bytes;
		sum->suppressed_blocks += r->blocks;
		count++;
	}
	return count;
}

void supp_print_record(const struct report_ctx *rc, const struct loss_record *r)
{
	size_t n;
	struct supp_frame *f = supp_frames_of(rc, r, &n);

	supp_print(rc->out, r->kind, f, n, n > 0);
	free(f);
}
