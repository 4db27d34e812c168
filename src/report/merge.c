/*
 * merge: combine JUnit files written by junit.c (one per process, with
 * --trace-children=yes and --junit=junit.%p.xml) into one <testsuites>,
 * so CI sees every binary of a test suite in one report.
 *
 * It reads only leakcheck's own layout (see junit.c): the XML declaration,
 * the leakcheck comment, a <testsuites> start tag, then <testsuite>
 * blocks copied verbatim, and "</testsuites>".  It is not an XML parser
 * and does not pretend to be: anything else is refused with the file and
 * line, never half-merged.  Its output has the same layout, so merged
 * files merge again.
 *
 * Totals of <testsuites> are recomputed from the suites' own attributes;
 * suites are sorted by name, then by content, so the output does not
 * depend on the pids in the input file names.  The output is written as
 * outfile.c writes every output (a regular file: to a temporary file
 * renamed into place; an input may be the old output).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakcheck/report.h"
#include "leakcheck/util.h"

#ifndef LEAKCHECK_VERSION
#define LEAKCHECK_VERSION "unknown"
#endif

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define SUITE_START "  <testsuite "
#define SUITE_END "  </testsuite>"
/* an input larger than this is refused, unread (memory is bounded) */
#define MERGE_MAX_BYTES (256u << 20)

struct suite {
	char *name; /* escaped, as in the file */
	char *text; /* the lines from <testsuite to </testsuite>, inclusive */
	unsigned long long tests, failures, errors, skipped;
	double time;
	size_t order;
};

struct merge {
	struct suite *v;
	size_t n, cap;
	char *err;
	int code;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct merge *m, int code, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("out of memory");
	va_end(ap);
	free(m->err);
	m->err = s;
	m->code = code;
	return -1;
}

/* Value of attribute NAME in the start tag TAG (from after the element
 * name to '>'), as a malloc'd string, or NULL when TAG is not a sequence
 * of name="value" pairs ending in '>' or lacks NAME. */
static char *attr(const char *tag, const char *name)
{
	const char *p = tag;
	char *found = NULL;

	for (;;) {
		const char *n, *v, *e;
		while (*p == ' ')
			p++;
		if (*p == '>' && !p[1])
			return found;
		n = p;
		while ((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-')
			p++;
		if (p == n || p[0] != '=' || p[1] != '"')
			break;
		v = p + 2;
		e = strchr(v, '"');
		if (!e || memchr(v, '<', (size_t)(e - v)))
			break;
		if (!found && (size_t)(p - n) == strlen(name) &&
		    !strncmp(n, name, (size_t)(p - n)))
			found = xasprintf("%.*s", (int)(e - v), v);
		p = e + 1;
	}
	free(found);
	return NULL;
}

static int attr_num(const char *tag, const char *name, unsigned long long *out)
{
	char *v = attr(tag, name), *end;
	int ok;
	if (!v)
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	ok = *v >= '0' && *v <= '9' && !*end && !errno;
	free(v);
	return ok ? 0 : -1;
}

static int attr_time(const char *tag, double *out)
{
	char *v = attr(tag, "time"), *end;
	int ok;
	if (!v)
		return -1;
	*out = strtod(v, &end);
	ok = *v >= '0' && *v <= '9' && !*end && *out >= 0;
	free(v);
	return ok ? 0 : -1;
}

/* The next line of *P (its '\n' replaced by NUL), or NULL at the end. */
static char *next_line(char **p)
{
	char *s = *p, *nl;
	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

static int read_input(struct merge *m, const char *path)
{
	size_t len, lineno = 0;
	unsigned long long total;
	char *buf, *p, *line;
	int ret = infile_read(path, MERGE_MAX_BYTES, &buf, &len);

	if (ret == -EILSEQ)
		return fail(
		    m, 65, "'%s': not a leakcheck JUnit file (NUL byte)", path);
	if (ret)
		return fail(m, 66, "cannot read '%s': %s", path,
			    infile_strerror(ret, MERGE_MAX_BYTES));
	ret = -1;
	p = buf;
#define EXPECT(cond, what)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fail(m, 65,                                            \
			     "'%s' line %zu: not a leakcheck JUnit file "      \
			     "(expected %s)",                                  \
			     path, lineno, what);                              \
			goto out;                                              \
		}                                                              \
	} while (0)
	line = next_line(&p);
	lineno++;
	EXPECT(line && !strcmp(line, XML_DECL), "the XML declaration");
	line = next_line(&p);
	lineno++;
	EXPECT(line && !strncmp(line, "<!-- leakcheck ", 15) &&
		   strstr(line, " junit;"),
	       "the leakcheck comment");
	line = next_line(&p);
	lineno++;
	EXPECT(line && !strncmp(line, "<testsuites ", 12) &&
		   !attr_num(line + 12, "tests", &total),
	       "<testsuites>");
	for (;;) {
		struct suite s = {0};
		size_t tlen, tcap = 0;
		char *start;
		int ok;
		line = next_line(&p);
		lineno++;
		EXPECT(line, "</testsuites>");
		if (!strcmp(line, "</testsuites>"))
			break;
		EXPECT(!strncmp(line, SUITE_START, strlen(SUITE_START)),
		       "<testsuite> or </testsuites>");
		start = line + strlen(SUITE_START);
		s.name = attr(start, "name");
		ok = s.name && !attr_num(start, "tests", &s.tests) &&
		     !attr_num(start, "failures", &s.failures) &&
		     !attr_num(start, "errors", &s.errors) &&
		     !attr_num(start, "skipped", &s.skipped) &&
		     !attr_time(start, &s.time);
		if (!ok)
			free(s.name);
		EXPECT(ok, "<testsuite> with name, tests, failures, errors, "
			   "skipped and time");
		s.text = NULL;
		tlen = 0;
		for (;;) {
			size_t l = strlen(line);
			s.text = xgrow(s.text, &tcap, tlen + l + 2, 1);
			memcpy(s.text + tlen, line, l);
			tlen += l;
			s.text[tlen++] = '\n';
			s.text[tlen] = 0;
			if (!strcmp(line, SUITE_END))
				break;
			line = next_line(&p);
			lineno++;
			ok = line &&
			     strncmp(line, SUITE_START, strlen(SUITE_START)) &&
			     strcmp(line, "</testsuites>");
			if (!ok) {
				free(s.name);
				free(s.text);
			}
			EXPECT(ok, "</testsuite>");
		}
		s.order = m->n;
		m->v = xgrow(m->v, &m->cap, m->n + 1, sizeof(*m->v));
		m->v[m->n++] = s;
	}
	while ((line = next_line(&p)) != NULL) {
		lineno++;
		EXPECT(!*line, "nothing after </testsuites>");
	}
#undef EXPECT
	ret = 0;
out:
	free(buf);
	return ret;
}

static int cmp_suite(const void *x, const void *y)
{
	const struct suite *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (!c)
		c = strcmp(a->text, b->text);
	if (!c)
		c = a->order < b->order ? -1 : a->order > b->order;
	return c;
}

static int write_output(struct merge *m, const char *out)
{
	unsigned long long tests = 0, failures = 0, errors = 0, skipped = 0;
	double time = 0;
	struct outfile o;
	int ret = outfile_open(&o, out, OUTFILE_REPLACE);

	if (ret)
		return fail(m, 73, "cannot write '%s': %s", out,
			    strerror(-ret));
	for (size_t i = 0; i < m->n; i++) {
		tests += m->v[i].tests;
		failures += m->v[i].failures;
		errors += m->v[i].errors;
		skipped += m->v[i].skipped;
		time += m->v[i].time;
	}
	fprintf(o.f,
		XML_DECL
		"\n<!-- leakcheck " LEAKCHECK_VERSION " junit; "
		"combine files with: leakcheck merge OUT.xml IN.xml... "
		"-->\n<testsuites name=\"leakcheck\" tests=\"%llu\" "
		"failures=\"%llu\" errors=\"%llu\" skipped=\"%llu\" "
		"time=\"%.3f\">\n",
		tests, failures, errors, skipped, time);
	for (size_t i = 0; i < m->n; i++)
		fputs(m->v[i].text, o.f);
	fputs("</testsuites>\n", o.f);
	ret = outfile_close(&o);
	if (ret)
		return fail(m, 73, "cannot write '%s': %s", out,
			    strerror(-ret));
	return 0;
}

int junit_merge(const char *out, char *const *in, size_t n, char **err,
		int *errcode)
{
	struct merge m = {0};
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		ret = read_input(&m, in[i]);
	if (!ret) {
		qsort(m.v, m.n, sizeof(*m.v), cmp_suite);
		ret = write_output(&m, out);
	}
	for (size_t i = 0; i < m.n; i++) {
		free(m.v[i].name);
		free(m.v[i].text);
	}
	free(m.v);
	*err = m.err;
	*errcode = ret ? m.code : 0;
	return ret;
}
