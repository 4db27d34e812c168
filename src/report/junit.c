/*
 * junit: the leak check of one process as JUnit XML, the format GitLab,
 * Jenkins and the GitHub test-report actions read.
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <!-- leakcheck VERSION junit ... -->
 *   <testsuites name="leakcheck" tests= failures= errors= skipped= time=>
 *     <testsuite name="COMMAND LINE" tests= failures= errors= skipped="0"
 *                time= timestamp= hostname=>
 *       <properties> pid, ppid, and the LEAK SUMMARY numbers </properties>
 *       <testcase name="definitely lost in f from g from main"
 *                 classname="PROGRAM" time="0" file= line=>
 *         <failure message="32 bytes in 1 blocks are definitely lost"
 *                  type="definitely lost">the stack</failure>
 *       </testcase>
 *       ...
 *     </testsuite>
 *   </testsuites>
 *
 * Invariants the merge (merge.c) relies on: line 1 and the comment on
 * line 2 are exactly as written here; every start tag is on one line
 * (attribute values escape newlines); "  <testsuite " and
 * "  </testsuite>" begin lines only as the suite's own tags (text escapes
 * '<'); the counts of <testsuite> are attributes in the order above.
 *
 * Testcases: one per loss record of a kind in --show-leak-kinds or
 * --errors-for-leak-kinds, not suppressed, in the text report's order;
 * those of the error kinds fail.  When none fails, one passing "no leaks"
 * testcase says the process was checked.  A process killed by SIGKILL
 * was not scanned: one "leak check" testcase with an <error>.
 *
 * Names (junit_case_names) never hold addresses or record numbers: they
 * must be the same on the next run and on another machine, or CI history
 * breaks.  The timestamp is UTC without a zone, as Jenkins' schema wants.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/heap.h"
#include "leakcheck/util.h"

#ifndef LEAKCHECK_VERSION
#define LEAKCHECK_VERSION "unknown"
#endif

/* Modules that are not the program's own code, for file= and line=. */
static int system_module(const char *m)
{
	static const char *const dirs[] = {"/lib/", "/lib64/", "/usr/lib/",
					   "/usr/lib64/", "/usr/libexec/"};
	static const char *const libs[] = {
	    "ld-linux", "libc.so",    "libc-",	  "libstdc++", "libgcc_s",
	    "libm.so",	"libpthread", "libdl.so", "libasan",   "libubsan"};
	const char *b;

	if (!m)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (!strncmp(m, dirs[i], strlen(dirs[i])))
			return 1;
	b = report_base_name(m);
	for (size_t i = 0; i < ARRAY_SIZE(libs); i++)
		if (!strncmp(b, libs[i], strlen(libs[i])))
			return 1;
	return 0;
}

/* A library function that only allocates (libstdc++'s operator new calls
 * malloc, strdup does): part of the allocator for a name. */
static int allocator_frame(const struct sym_frame *f)
{
	static const char *const fns[] = {
	    "operator new", "malloc",	     "calloc",	       "realloc",
	    "reallocarray", "aligned_alloc", "posix_memalign", "memalign",
	    "valloc",	    "pvalloc",	     "strdup",	       "strndup",
	    "__strdup",	    "__strndup",     "__libc_"};
	if (!f->func || !system_module(f->module))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++)
		if (!strncmp(f->func, fns[i], strlen(fns[i])))
			return 1;
	return 0;
}

/* A frame for a name: its function, else module+0xOFFSET, else "???". */
static char *frame_label(const struct sym_frame *f)
{
	if (f->func)
		return xstrdup(f->func);
	if (f->module && f->pc >= f->module_base)
		return xasprintf("%s+0x%llx", report_base_name(f->module),
				 (unsigned long long)(f->pc - f->module_base));
	return xstrdup("???");
}

struct case_key {
	size_t i;   /* index into the caller's arrays */
	char *name; /* without the " (N)" */
	char *key;  /* the whole stack, for ordering equal names */
	const struct loss_record *r;
};

static int cmp_case(const void *x, const void *y)
{
	const struct case_key *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	c = strcmp(a->key, b->key);
	if (c)
		return c;
	if (a->r->bytes != b->r->bytes)
		return a->r->bytes < b->r->bytes ? -1 : 1;
	if (a->r->blocks != b->r->blocks)
		return a->r->blocks < b->r->blocks ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Name and ordering key of R; its own-code file and line. */
static void name_record(const struct report_ctx *rc,
			const struct loss_record *r, char **name, char **key,
			const char **file, int *line)
{
	struct report_frame *fr = NULL;
	size_t nf = report_frames(rc, r, &fr), first = 0, used = 0;
	char *s, *k = xstrdup(""), *t;

	*file = NULL;
	*line = 0;
	/* frame 0 is the allocator entry; library functions that only allocate
	 * (operator new, strdup) may follow it: skip them unless they are all
	 */
	while (first < nf &&
	       (fr[first].depth == 0 || allocator_frame(&fr[first].f)))
		first++;
	if (first == nf)
		first = 0;
	if (nf == 0)
		s = xasprintf("%s (no stack)", leak_kind_phrase(r->kind));
	else
		s = xstrdup(leak_kind_phrase(r->kind));
	for (size_t j = first; j < nf; j++) {
		char *lab = frame_label(&fr[j].f);
		if (used < JUNIT_NAME_FRAMES) {
			t = xasprintf("%s %s %s", s, used ? "from" : "in", lab);
			free(s);
			s = t;
			used++;
		}
		t = xasprintf("%s%s@%s:%d|", k, lab,
			      fr[j].f.file ? report_base_name(fr[j].f.file)
					   : "",
			      fr[j].f.line);
		free(k);
		k = t;
		free(lab);
		if (!*file && fr[j].depth > 0 && fr[j].f.file &&
		    fr[j].f.line > 0 && !system_module(fr[j].f.module)) {
			*file = fr[j].f.file;
			*line = fr[j].f.line;
		}
	}
	free(fr);
	*name = s;
	*key = k;
}

void junit_case_names(const struct report_ctx *rc,
		      const struct loss_record *recs, const size_t *idx,
		      size_t n, char **names, const char **files, int *lines)
{
	struct case_key *ck = xcalloc(n + 1, sizeof(*ck));

	for (size_t i = 0; i < n; i++) {
		const char *file;
		int line;
		ck[i].i = i;
		ck[i].r = &recs[idx[i]];
		name_record(rc, ck[i].r, &ck[i].name, &ck[i].key, &file, &line);
		if (files)
			files[i] = file;
		if (lines)
			lines[i] = line;
	}
	qsort(ck, n, sizeof(*ck), cmp_case);
	for (size_t i = 0, rank = 0; i < n; i++) {
		if (i > 0 && !strcmp(ck[i].name, ck[i - 1].name))
			rank++;
		else
			rank = 0;
		if (rank)
			names[ck[i].i] =
			    xasprintf("%s (%zu)", ck[i].name, rank + 1);
		else
			names[ck[i].i] = xstrdup(ck[i].name);
	}
	for (size_t i = 0; i < n; i++) {
		free(ck[i].name);
		free(ck[i].key);
	}
	free(ck);
}

/* The failure's body: the stack in the text report's words. */
static void put_stack(FILE *f, const struct report_ctx *rc,
		      const struct loss_record *r)
{
	struct report_frame *fr = NULL;
	size_t nf = report_frames(rc, r, &fr);

	if (nf == 0)
		xml_put(
		    f,
		    (r->flags & HB_PRE_ATTACH)
			? "   (no stack: allocated before leakcheck attached)\n"
			: "   (no stack recorded)\n",
		    0);
	for (size_t j = 0; j < nf; j++) {
		const struct sym_frame *s = &fr[j].f;
		const char *fn = s->func ? s->func : "???";
		char *line;
		if (s->file && s->line > 0)
			line = xasprintf("   %s 0x%llX: %s (%s:%d)\n",
					 j ? "by" : "at",
					 (unsigned long long)fr[j].pc, fn,
					 report_base_name(s->file), s->line);
		else if (s->module)
			line = xasprintf(
			    "   %s 0x%llX: %s (in %s)\n", j ? "by" : "at",
			    (unsigned long long)fr[j].pc, fn, s->module);
		else
			line = xasprintf("   %s 0x%llX: %s\n", j ? "by" : "at",
					 (unsigned long long)fr[j].pc, fn);
		xml_put(f, line, 0);
		free(line);
	}
	free(fr);
}

/* FILE relative to the current directory when it is below it. */
static const char *relative_path(const char *file, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;
	if (n > 1 && !strncmp(file, cwd, n) && file[n] == '/' && file[n + 1])
		return file + n + 1;
	return file;
}

static void put_property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "      <property name=\"%s\" value=\"", name);
	xml_put(f, value, 1);
	fputs("\"/>\n", f);
}

static void put_count_property(FILE *f, const char *name, uint64_t bytes,
			       uint64_t blocks)
{
	char *v =
	    xasprintf("%llu bytes in %llu blocks", (unsigned long long)bytes,
		      (unsigned long long)blocks);
	put_property(f, name, v);
	free(v);
}

static void put_junit(FILE *f, const struct report_ctx *rc,
		      const struct report_result *res)
{
	const struct report_run *run = rc->run;
	const struct loss_record *recs = res->recs;
	size_t nrec = res->nrec;
	const struct leak_summary *sum = res->sum;
	static const char *const keys[LEAK_NKINDS] = {
	    "definitely_lost", "indirectly_lost", "possibly_lost",
	    "still_reachable"};
	unsigned kinds = rc->show_kinds | rc->error_kinds;
	size_t *idx = xcalloc(nrec + 1, sizeof(*idx)), n = 0;
	size_t failures = 0, errors = 0, tests;
	struct report_cases cs;
	char **names, host[256] = "localhost",
		      stamp[32] = "1970-01-01T00:00:00";
	const char **files;
	int *lines;
	char *cmd, *classname, *cwd = getcwd(NULL, 0);
	time_t start = run && run->start ? (time_t)run->start : time(NULL);
	struct tm tm;
	double secs = run ? run->seconds : 0;

	if (sum->classified) {
		for (size_t i = 0; i < nrec; i++)
			if (!recs[i].suppressed && recs[i].blocks > 0 &&
			    (kinds & (1u << recs[i].kind))) {
				idx[n++] = i;
				if (rc->error_kinds & (1u << recs[i].kind))
					failures++;
			}
	} else {
		errors = 1;
	}
	tests = n + errors + (!errors && !failures);
	report_cases_name(&cs, rc, recs, idx, n);
	names = cs.names;
	files = cs.files;
	lines = cs.lines;

	if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = 0;
	if (gmtime_r(&start, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	cmd = run && run->argv && run->argv[0] ? report_argv_join(run->argv)
					       : xstrdup("(unknown program)");
	classname = xstrdup(run && run->argv && run->argv[0]
				? report_base_name(run->argv[0])
				: "leakcheck");
	/* Jenkins reads dots in a classname as package separators */
	for (char *c = classname; *c; c++)
		if (*c == '.')
			*c = '_';

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fputs("<!-- leakcheck " LEAKCHECK_VERSION " junit; combine files with: "
	      "leakcheck merge OUT.xml IN.xml... -->\n",
	      f);
	fprintf(f,
		"<testsuites name=\"leakcheck\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n",
		tests, failures, errors, secs);
	fputs("  <testsuite name=\"", f);
	xml_put(f, cmd, 1);
	fprintf(f,
		"\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"0\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
		tests, failures, errors, secs, stamp);
	xml_put(f, host, 1);
	fputs("\">\n    <properties>\n", f);
	{
		char num[32];
		snprintf(num, sizeof(num), "%d", (int)rc->pid);
		put_property(f, "pid", num);
		if (run && run->ppid) {
			snprintf(num, sizeof(num), "%d", (int)run->ppid);
			put_property(f, "ppid", num);
		}
	}
	for (int k = 0; k < LEAK_NKINDS && sum->classified; k++)
		put_count_property(f, keys[k], sum->bytes[k], sum->blocks[k]);
	put_count_property(f, "suppressed", sum->suppressed_bytes,
			   sum->suppressed_blocks);
	if (!sum->classified)
		put_count_property(f, "unclassified", sum->unclassified_bytes,
				   sum->unclassified_blocks);
	fputs("    </properties>\n", f);

	for (size_t i = 0; i < n; i++) {
		const struct loss_record *r = &recs[idx[i]];
		fputs("    <testcase name=\"", f);
		xml_put(f, names[i], 1);
		fputs("\" classname=\"", f);
		xml_put(f, classname, 1);
		fputs("\" time=\"0\"", f);
		if (files[i]) {
			fputs(" file=\"", f);
			xml_put(f, relative_path(files[i], cwd), 1);
			fprintf(f, "\" line=\"%d\"", lines[i]);
		}
		if (!(rc->error_kinds & (1u << r->kind))) {
			fputs("/>\n", f);
			continue;
		}
		{
			char *msg = report_record_message(r);
			fputs(">\n      <failure message=\"", f);
			xml_put(f, msg, 1);
			fprintf(f, "\" type=\"%s\">",
				leak_kind_phrase(r->kind));
			xml_put(f, msg, 0);
			fputs("\n", f);
			put_stack(f, rc, r);
			fputs("</failure>\n    </testcase>\n", f);
			free(msg);
		}
	}
	if (errors) {
		char b[32], nb[32];
		fputs("    <testcase name=\"leak check\" classname=\"", f);
		xml_put(f, classname, 1);
		fprintf(f,
			"\" time=\"0\">\n      <error message=\"no scan was "
			"possible: the process was killed by SIGKILL\" "
			"type=\"unclassified\">%s bytes in %s blocks were "
			"live, not classified</error>\n    </testcase>\n",
			fmt_thousands(b, sum->unclassified_bytes),
			fmt_thousands(nb, sum->unclassified_blocks));
	} else if (!failures) {
		fputs("    <testcase name=\"no leaks\" classname=\"", f);
		xml_put(f, classname, 1);
		fputs("\" time=\"0\"/>\n", f);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);

	report_cases_release(&cs);
	free(cmd);
	free(classname);
	free(cwd);
}

void report_cases_name(struct report_cases *c, const struct report_ctx *rc,
		       const struct loss_record *recs, size_t *idx, size_t n)
{
	c->idx = idx;
	c->n = n;
	c->names = xcalloc(c->n + 1, sizeof(*c->names));
	c->files = xcalloc(c->n + 1, sizeof(*c->files));
	c->lines = xcalloc(c->n + 1, sizeof(*c->lines));
	junit_case_names(rc, recs, c->idx, c->n, c->names, c->files, c->lines);
}

void report_cases_release(struct report_cases *c)
{
	for (size_t i = 0; c->names && i < c->n; i++)
		free(c->names[i]);
	free(c->names);
	free(c->files);
	free(c->lines);
	free(c->idx);
	memset(c, 0, sizeof(*c));
}

int report_junit(const struct report_ctx *rc, const char *path,
		 const struct report_run *run, const struct loss_record *recs,
		 size_t nrec, const struct leak_summary *sum)
{
	struct report_ctx c = *rc;
	struct report_result res = {recs, nrec, sum, ""};
	c.run = run;
	return report_put_file(path, put_junit, &c, &res);
}
