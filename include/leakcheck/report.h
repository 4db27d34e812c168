/*
 * report: loss records (blocks grouped by kind and stack) and the
 * reporters that print them: valgrind-style text and JSON.
 */
#ifndef LEAKCHECK_REPORT_H
#define LEAKCHECK_REPORT_H

#include <stdio.h>
#include "leakcheck/types.h"
#include "leakcheck/scan.h"

struct stack_depot;
struct sym_frame;

struct loss_record {
	enum leak_kind kind;
	uint32_t stack_id;
	uint64_t bytes;           /* direct bytes */
	uint64_t blocks;
	uint64_t indirect_bytes;  /* for definite/possible: bytes they leak */
	uint64_t indirect_blocks;
	uint32_t flags;           /* OR of the blocks' heap_block flags */
	int suppressed;
	const char *suppression;  /* name of the suppression that matched
				   * (owned by it), or NULL */
};

/* Entries of leak_summary.heuristic_*: enum scan_heuristic values. */
#define REPORT_NHEURISTICS (SCAN_HEUR_MULTIPLEINHERITANCE + 1)

struct leak_summary {
	uint64_t bytes[LEAK_NKINDS];
	uint64_t blocks[LEAK_NKINDS];
	/* valgrind's "of which reachable via heuristic": every block with a
	 * scan_block.heuristic, whatever its kind; index 0 stays 0 */
	uint64_t heuristic_bytes[REPORT_NHEURISTICS];
	uint64_t heuristic_blocks[REPORT_NHEURISTICS];
	uint64_t suppressed_bytes, suppressed_blocks;
	int classified; /* 0: no scan was possible (SIGKILL); bytes[] empty */
	uint64_t unclassified_bytes, unclassified_blocks;
};

/*
 * Group BLOCKS (classified) by (kind, stack_id), sorted as valgrind does:
 * by total bytes (direct + indirect) ascending, then kind, then blocks,
 * then stack id.  Fills SUM (per block kind; sets SUM->classified = 1;
 * nothing is suppressed).  Never fails.  Returns a malloc'd array of *NREC
 * records (non-NULL even when *NREC is 0), caller frees.
 */
struct loss_record *loss_records_build(const struct scan_block *blocks,
				       size_t n, size_t *nrec,
				       struct leak_summary *sum);

/* Symbolize a PC: the report's way to reach sym/ (or a fake in tests). */
typedef int (*report_sym_fn)(void *ctx, taddr_t pc, int is_return,
			     struct sym_frame *out, int max);

enum leak_check_mode {
	LEAK_CHECK_NO,      /* no leak report */
	LEAK_CHECK_SUMMARY, /* LEAK SUMMARY only */
	LEAK_CHECK_FULL,    /* loss records and summary */
};

struct report_ctx {
	FILE *out;
	pid_t pid; /* for the ==PID== prefix */
	enum leak_check_mode mode;
	unsigned show_kinds;   /* mask of 1 << leak_kind */
	unsigned error_kinds;  /* mask of 1 << leak_kind */
	unsigned num_callers;
	const struct stack_depot *depot;
	report_sym_fn sym;
	void *sym_ctx;
	/* HEAP SUMMARY numbers */
	uint64_t in_use_bytes, in_use_blocks;
	uint64_t total_allocs, total_frees, total_bytes;
	const char *note; /* extra line before the summary, or NULL */
	int gen_suppressions; /* a valgrind suppression after each record */
};

/* valgrind-style text: HEAP SUMMARY, loss records, LEAK SUMMARY. */
void report_text(const struct report_ctx *rc, const struct loss_record *recs,
		 size_t nrec, const struct leak_summary *sum);
/* The same result as JSON (schema in man/leakcheck.1).  Returns 0 or -errno. */
int report_json(const struct report_ctx *rc, const char *path,
		const char *command, const struct loss_record *recs,
		size_t nrec, const struct leak_summary *sum);

/* Number of errors (records of error_kinds, not suppressed), as valgrind's
 * ERROR SUMMARY counts them: 0 unless RC->mode is LEAK_CHECK_FULL (valgrind
 * counts no leak errors with --leak-check=summary, so --error-exitcode
 * does not fire then either). */
size_t report_error_count(const struct report_ctx *rc,
			  const struct loss_record *recs, size_t nrec);

#endif
