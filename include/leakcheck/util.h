/*
 * Small utilities: allocation that dies on OOM, messages, growable arrays.
 */
#ifndef LEAKCHECK_UTIL_H
#define LEAKCHECK_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Allocation never fails: out of memory kills leakcheck. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
/* Grows *P to hold at least NEED elements of SZ bytes; *CAP is updated. */
void *xgrow(void *p, size_t *cap, size_t need, size_t sz);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Messages: "leakcheck: error: ..." on stderr. */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug output, printed only when log_verbose >= 2. */
extern int log_verbose;
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "leakcheck: error: ..." and exit with CODE. */
void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#define BUG_ON(c)                                                              \
	do {                                                                   \
		if (c)                                                         \
			bug(__FILE__, __LINE__, #c);                           \
	} while (0)
void bug(const char *file, int line, const char *what) __attribute__((noreturn));

/* "1,234,567" into BUF (at least 32 bytes); returns BUF. */
char *fmt_thousands(char *buf, unsigned long long v);

/* Length of the valid UTF-8 sequence at S (NUL-terminated), 0 if invalid
 * (overlong, surrogate, above U+10FFFF); its code point in *CP. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp);

/* Flush and close F, written since errno was set to 0: 0, or -errno of
 * the first failure (-EIO when the stream kept none). */
int fclose_checked(FILE *f);

#endif
