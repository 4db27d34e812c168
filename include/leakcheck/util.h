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
void bug(const char *file, int line, const char *what)
    __attribute__((noreturn));

/* "1,234,567" into BUF (at least 32 bytes); returns BUF. */
char *fmt_thousands(char *buf, unsigned long long v);

/* " 4005d0 7f12..." (each of the N addresses V, hex, a space before
 * each) into BUF of CAP bytes, cut where it would not fit; returns BUF. */
char *fmt_addrs(char *buf, size_t cap, const uint64_t *v, int n);

/* Length of the valid UTF-8 sequence at S (NUL-terminated), 0 if invalid
 * (overlong, surrogate, above U+10FFFF); its code point in *CP. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp);
/* Length of the character at S (NUL-terminated) if it is safe to print to
 * a terminal: printable ASCII, or valid UTF-8 other than a C1 control.
 * 0 for a byte to escape: a C0 control (tab and newline too), DEL, the
 * first byte of a C1 control, a byte that is not UTF-8, the NUL. */
size_t printable_seq(const unsigned char *s);

/*
 * An output file (outfile.c): how a report, profile or log reaches the
 * path the user named.  OUTFILE_REPLACE gives the file new contents: a
 * regular file (or a new name) is written to a mkstemp file in its
 * directory and renamed over it at close, or written in place when that
 * directory cannot be written.  OUTFILE_TRUNC and OUTFILE_APPEND write a
 * regular file in place.  In every mode a symbolic link is written
 * through and a device or FIFO is written to, never replaced.
 */
enum outfile_mode {
	OUTFILE_REPLACE, /* new contents, atomically where possible */
	OUTFILE_TRUNC,	 /* new contents, in place (--log-file) */
	OUTFILE_APPEND,	 /* added at the end */
};

struct outfile {
	FILE *f;    /* buffered; write here between open and close */
	char *path; /* the name given, for the rename; internal */
	char *tmp;  /* the temporary file renamed over PATH, or NULL */
	int fd;	    /* what F writes to */
	int own_fd; /* close FD at the end (not for standard error) */
	int err;    /* errno of the first failed write, 0: none */
	struct outfile *next; /* internal: temporary files to remove at exit */
};

/* Open PATH for writing as MODE says.  Returns 0, or -errno (nothing
 * to close).  O must stay where it is until outfile_close(); if leakcheck
 * exits before that, the temporary file is removed (atexit). */
int outfile_open(struct outfile *o, const char *path, enum outfile_mode mode);
/* Standard error as an outfile: buffered until outfile_close().  Never
 * fails (unbuffered stderr itself if no stream can be made). */
void outfile_stderr(struct outfile *o);
/* Flush, close and (OUTFILE_REPLACE) rename into place.  Returns 0, or
 * -errno of the first failure; then a temporary file is removed and the
 * old contents of PATH are left as they were. */
int outfile_close(struct outfile *o);
/* How many outfile_open()s and outfile_close()s have failed so far. */
unsigned outfile_failures(void);

/*
 * The whole of the input file PATH (infile.c), read with a bound: at most
 * MAX bytes, stopping at the first chunk with a NUL byte; never waits to
 * open a FIFO.  Returns 0, *OUT malloc'd and NUL-terminated (caller
 * frees), *LEN its length; or -errno, with these meaning: -EFBIG more
 * than MAX bytes, -EILSEQ binary content (a NUL byte), -ENXIO a FIFO with
 * no writer and nothing in it, -EISDIR a directory.
 */
int infile_read(const char *path, size_t max, char **out, size_t *len);
/* The whole of a kernel file (/proc/...), read to its end and
 * NUL-terminated; its length (it may hold NULs) in *LEN if LEN is not
 * NULL.  NULL if it cannot be opened; out of memory kills us. */
char *read_file_text(const char *path, size_t *len);
/* What infile_read()'s ERR means, for a message (MAX as passed to it). */
const char *infile_strerror(int err, size_t max);

#endif
