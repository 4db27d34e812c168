/*
 * util: allocation that never fails, messages in git's style, number
 * formatting.  Messages go to stderr; the report has its own stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakcheck/options.h" /* LC_EXIT_INTERNAL */
#include "leakcheck/util.h"

int log_verbose;

/* As any other fatal error (die()): exit 70, which kills a launched
 * program (PTRACE_O_EXITKILL) and leaves an attached one to its guard;
 * no abort(), whose SIGABRT and core say "crash" where there is none. */
static void __attribute__((noreturn)) oom(size_t n)
{
	fprintf(stderr, "leakcheck: fatal: out of memory (%zu bytes)\n", n);
	exit(LC_EXIT_INTERNAL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		oom(n * sz);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t sz)
{
	size_t c = *cap;
	if (need <= c)
		return p;
	if (c < 16)
		c = 16;
	while (c < need)
		c *= 2;
	*cap = c;
	return xrealloc(p, c * sz);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom(strlen(s));
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return s;
}

static void __attribute__((format(printf, 2, 0)))
vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "leakcheck: %s%s\n", prefix, buf);
}

void error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	va_list ap;
	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "leakcheck: BUG at %s:%d: %s\n", file, line, what);
	abort();
}

char *fmt_thousands(char *buf, unsigned long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", v);
	int o = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

char *fmt_addrs(char *buf, size_t cap, const uint64_t *v, int n)
{
	size_t l = 0;

	buf[0] = 0;
	for (int i = 0; i < n && l + 20 < cap; i++)
		l += (size_t)snprintf(buf + l, cap - l, " %llx",
				      (unsigned long long)v[i]);
	return buf;
}

/* Length of the valid UTF-8 sequence at S (NUL-terminated), 0 if invalid;
 * its code point in *CP. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned c = s[0];
	uint32_t v, min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	/* a NUL is not a continuation byte: we never read past the end */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

size_t printable_seq(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (*s >= 0x20 && *s < 0x7f)
		return 1;
	n = *s >= 0x80 ? utf8_seq(s, &cp) : 0;
	/* C1 controls (U+0080..U+009F): CSI and friends on many terminals */
	if (n && cp < 0xa0)
		return 0;
	return n;
}
