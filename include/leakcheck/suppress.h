/*
 * suppress: suppression files in valgrind's and LSan's formats, matched
 * against symbolized allocation stacks, and valgrind-format suppressions
 * generated from them (--gen-suppressions).
 *
 * The matcher knows nothing of ptrace or DWARF: it takes stacks as arrays
 * of struct supp_frame (already symbolized, inline chains expanded), so
 * it can be unit tested on made-up stacks.  supp_apply() and
 * supp_print_record() are the report's way in: they symbolize a loss
 * record's stack through report_ctx.sym.
 */
#ifndef LEAKCHECK_SUPPRESS_H
#define LEAKCHECK_SUPPRESS_H

#include <stdio.h>
#include "leakcheck/report.h"
#include "leakcheck/scan.h"

/* One frame of a stack, innermost first; strings are borrowed. */
struct supp_frame {
	const char *fn;		  /* name as the object spells it (mangled), or
				   * NULL: valgrind's fun: matches this */
	const char *fn_demangled; /* demangled name or NULL: LSan's */
	const char *obj;	  /* module path or NULL */
	const char *file;	  /* source file path or NULL */
	int line;		  /* 0 if unknown */
	int inlined;		  /* inlined into the next frame (same PC) */
};

enum supp_format {
	SUPP_VALGRIND, /* { name  Memcheck:Leak  ...  fun:/obj:/src:/... } */
	SUPP_LSAN,     /* leak:PATTERN */
};

/* A leak suppression, as read from its file. */
struct supp {
	char *name;	  /* valgrind: the name line; LSan: "leak:PATTERN" */
	const char *file; /* the file it came from (owned by the set) */
	int line;	  /* line of the name (valgrind) or of leak: */
	enum supp_format format;
	unsigned kinds; /* valgrind match-leak-kinds: mask of 1 << kind */
	struct supp_loc *locs; /* valgrind: the frame patterns */
	size_t nlocs;
	const char *pattern; /* LSan: the pattern after "leak:" */
	uint64_t hits;	     /* loss records it suppressed so far */
};

struct supp_set {
	struct supp *v;
	size_t n, cap;
	char **files; /* paths, for supp.file */
	size_t nfiles, files_cap;
	size_t ignored; /* well-formed suppressions of other kinds or tools */
};

/* Caller-owned struct; never fails. */
void supp_set_init(struct supp_set *set);
void supp_set_release(struct supp_set *set);

/* A suppressions file larger than this is refused, unread. */
#define SUPP_MAX_BYTES (64u << 20)

/*
 * Add the suppressions of file PATH; its format (valgrind or LSan) is
 * told by its first line that is not blank or a # comment.  Returns 0;
 * -errno when it cannot be read (infile_read()'s: -EFBIG larger than
 * SUPP_MAX_BYTES, -ENXIO a FIFO with no writer...); -EINVAL for a syntax
 * error or binary content, with *ERR set to a malloc'd "PATH:LINE: what
 * is wrong" (caller frees).  On error nothing of the file is added.
 */
int supp_set_load(struct supp_set *set, const char *path, char **err);
/* The same for the text TEXT, called NAME in messages. */
int supp_set_parse(struct supp_set *set, const char *name, const char *text,
		   char **err);

/* Add leakcheck's built-in suppressions (SUPP_DEFAULT_NAME: the blocks
 * allocators keep for themselves from their start; see suppress.c). */
#define SUPP_DEFAULT_NAME "(leakcheck's default suppressions)"
void supp_set_add_defaults(struct supp_set *set);
extern const char supp_default_text[];

/*
 * The first suppression of SET that matches a loss record of KIND whose
 * stack is F[0..N), or NULL.  ALLOC0: F[0] is the allocator entry point
 * leakcheck broke on (malloc, ...), which valgrind and LSan see as their
 * own replacement function (see suppress.c).  Counts a hit on the match.
 */
struct supp *supp_match(struct supp_set *set, enum leak_kind kind,
			const struct supp_frame *f, size_t n, int alloc0);

/* valgrind's --gen-suppressions block for a KIND record with stack
 * F[0..N) (ALLOC0 as above), on OUT. */
void supp_print(FILE *out, enum leak_kind kind, const struct supp_frame *f,
		size_t n, int alloc0);

/*
 * Symbolize R's stack through RC (rc->sym, rc->depot, rc->num_callers).
 * Returns a malloc'd array of *N frames (NULL when *N is 0), caller frees;
 * strings belong to the symbolizer.
 */
struct supp_frame *supp_frames_of(const struct report_ctx *rc,
				  const struct loss_record *r, size_t *n);

/*
 * Mark every record of RECS (with blocks) that SET suppresses, and move
 * its direct bytes and blocks from its kind to SUM's suppressed line, as
 * memcheck does.  Returns the number of records suppressed.
 */
size_t supp_apply(struct supp_set *set, const struct report_ctx *rc,
		  struct loss_record *recs, size_t nrec,
		  struct leak_summary *sum);

/* supp_print for record R, symbolized through RC, on RC->out. */
void supp_print_record(const struct report_ctx *rc,
		       const struct loss_record *r);

#endif
