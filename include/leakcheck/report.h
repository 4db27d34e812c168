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
	uint64_t size;	/* stack id 0: the size of each block */
	uint64_t bytes; /* direct bytes */
	uint64_t blocks;
	uint64_t indirect_bytes; /* for definite/possible: bytes they leak */
	uint64_t indirect_blocks;
	uint32_t flags; /* OR of the blocks' heap_block flags */
	int suppressed;
	/* --report=new: the same (kind, stack) in the previous report */
	int has_old;
	uint64_t old_bytes, old_blocks, old_indirect_bytes;
	const char *suppression; /* name of the suppression that matched
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
 * then stack id.  CLIQUES (NCLIQUES, sorted by leader, may be NULL): the
 * indirect totals of the definitely lost blocks that have some, as
 * scan_classify gives them.  Fills SUM (per block kind; sets
 * SUM->classified = 1; nothing is suppressed).  Never fails.  Returns a
 * malloc'd array of *NREC records (non-NULL even when *NREC is 0), caller
 * frees.  Memory: the records and a small index of them, nothing per block.
 */
struct loss_record *loss_records_build(const struct scan_block *blocks,
				       size_t n,
				       const struct scan_clique *cliques,
				       size_t ncliques, size_t *nrec,
				       struct leak_summary *sum);

/* Symbolize a PC: the report's way to reach sym/ (or a fake in tests). */
typedef int (*report_sym_fn)(void *ctx, taddr_t pc, int is_return,
			     struct sym_frame *out, int max);
/* The module a PC lies in, as report_sym_fn's frames would name it, with
 * no debug information read (or NULL: none). */
typedef const char *(*report_module_fn)(void *ctx, taddr_t pc, int is_return);

enum leak_check_mode {
	LEAK_CHECK_NO,	    /* no leak report */
	LEAK_CHECK_SUMMARY, /* LEAK SUMMARY only */
	LEAK_CHECK_FULL,    /* loss records and summary */
};

struct report_run;
struct report_holders;

struct report_ctx {
	FILE *out;
	pid_t pid; /* for the ==PID== prefix */
	enum leak_check_mode mode;
	unsigned show_kinds;  /* mask of 1 << leak_kind */
	unsigned error_kinds; /* mask of 1 << leak_kind */
	unsigned num_callers;
	const struct stack_depot *depot;
	report_sym_fn sym;
	void *sym_ctx;
	/* with SYM_CTX too, or NULL: suppressions whose obj: lines match
	 * none of a record's modules are ruled out before its stack is
	 * symbolized (supp_apply) */
	report_module_fn module;
	/* HEAP SUMMARY numbers */
	uint64_t in_use_bytes, in_use_blocks;
	uint64_t total_allocs, total_frees, total_bytes;
	const char *note; /* extra line before the summary, or NULL */
	int on_demand;	  /* the process is alive: "in use", not "at exit" */
	/* --report=new: show only records that are new or grew, with the
	 * growth in "(+N)" as valgrind's "leak_check increased" does */
	const struct leak_summary *old_sum;
	int gen_suppressions; /* a valgrind suppression after each record */
	/* the process's command line and parent (JSON; the text preamble),
	 * or NULL */
	const struct report_run *run;
	int preamble; /* text: valgrind's banner, Command: and Parent PID:
		       * lines first (a process's first report, not -q) */
	/* who holds the blocks (--show-holders, --top-holders), or NULL */
	const struct report_holders *holders;
};

/* ---- who holds it (holders.c) ---- */

struct sym_data;
struct target_thread;
/* Name a data address (sym_lookup_data(), or a fake in tests). */
typedef int (*report_data_fn)(void *ctx, taddr_t addr, struct sym_data *out);
/* Name a static TLS word BELOW bytes under a thread pointer
 * (sym_lookup_tls(), or a fake in tests). */
typedef int (*report_tls_fn)(void *ctx, uint64_t below, struct sym_data *out);

/*
 * What the reports need to say who holds a record's blocks: the scan's
 * blocks, roots and holders (all owned by the caller, alive while the
 * reports are written), and how to name things.
 */
struct report_holders {
	const struct scan_block *blocks; /* classified, h->nblocks of them */
	const struct scan_holders *h;
	const struct scan_range *roots; /* the scan's roots, as scanned */
	size_t nroots;
	const struct scan_root_word *words; /* what each root word is, or
					     * NULL */
	size_t nwords;
	scan_read_fn read; /* the process's memory, still stopped (frames on
			    * stacks); may be NULL */
	void *read_ctx;
	const struct target_thread *threads; /* the scan's (sp, tp), to name
					      * TLS and stack offsets; may
					      * be NULL */
	size_t nthreads;
	report_data_fn data; /* may be NULL: roots in data are not named */
	void *data_ctx;
	report_tls_fn tls; /* may be NULL: TLS words are not named */
	void *tls_ctx;
	unsigned kinds; /* 1 << leak_kind: records shown with a chain */
	unsigned top;	/* --top-holders: how many, 0 for none */
	/* --report=new, a report after the first: the records that grew
	 * get a chain (the WHAT GREW section), that of one of their blocks
	 * new since the last report if they have one (FRESH: h->nblocks
	 * flags, 1 for a new block; may be NULL) */
	int grew;
	const uint8_t *fresh;
	/* --holders-of: the queries as given ("0xADDR" or a glob), or none */
	const char *const *of;
	size_t nof;
	/* set by report_holders_prepare(): per record, the patterns of OF
	 * (1 << query) its stack matches; per query, an address's block and
	 * its record (UINT32_MAX: a pattern, or no block holds it) */
	uint32_t *rec_of;
	uint32_t *of_block, *of_rec;
	/* set by report_holders_prepare(): per record, the block whose
	 * chain is shown, UINT32_MAX for none, and how many of its blocks
	 * are new (with FRESH) */
	uint32_t *rec_block;
	uint64_t *rec_nfresh;
	size_t nrec;
};

/* What a --holders-of value is: 1 an address ("0x" and hex digits: *ADDR,
 * if ADDR is not NULL), 0 a pattern, -1 neither ("0x" and more). */
int report_holders_of_parse(const char *q, taddr_t *addr);
/* Does R get a chain under it in the listing (its kind is one of
 * RH->kinds)? */
int report_holders_shown(const struct report_holders *rh,
			 const struct loss_record *r);

/* Match RH->of against RECS (as they will be reported, same order) and
 * RH's blocks (setting RH->rec_of, of_block and of_rec; a pattern is
 * matched against the records' stacks symbolized through RC, whose
 * holders may still be NULL); then choose, for each record of RH->kinds,
 * each that grew (RH->grew) and each a pattern of RH->of matches, the
 * block with the shortest chain (ties: the lowest address; a record that
 * grew: among its new blocks first).  Never fails; costs 8 bytes a block
 * while it runs. */
void report_holders_prepare(const struct report_ctx *rc,
			    struct report_holders *rh,
			    const struct loss_record *recs, size_t nrec);
/* Free what report_holders_prepare() set. */
void report_holders_release(struct report_holders *rh);

/* Fill the has_old/old_* fields of RECS from OLD (a previous report's
 * records of the same process).  Returns how many records grew or are new. */
size_t loss_records_diff(struct loss_record *recs, size_t nrec,
			 const struct loss_record *old, size_t nold);
/* Shown in a --report=new report: new, or more bytes or blocks. */
int loss_record_grew(const struct loss_record *r);

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

/* ---- CI formats: JUnit XML, valgrind's XML (protocol 4), merging ---- */

/* What the CI formats say about the process besides its leaks. */
struct report_run {
	char **argv;	  /* its command line (argv[0] first), NULL-ended;
			   * NULL if unknown */
	char **tool_argv; /* leakcheck's own command line, or NULL */
	pid_t ppid;	  /* 0 if unknown */
	double seconds;	  /* how long it ran; 0 if unknown */
	long long start;  /* when it started, seconds since the epoch; 0 if
			   * unknown */
};

/*
 * S escaped for XML 1.0 character data and attribute values: & < > " '
 * become entities; with ATTR, tab, newline and CR become character
 * references (attribute normalization would eat them); other characters
 * XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF) are dropped; each byte
 * that does not start a valid UTF-8 sequence becomes U+FFFD.  NULL gives
 * "".  Never fails; returns a malloc'd string, caller frees.
 */
char *xml_escape(const char *s, int attr);
/* ARGV (NULL-ended; may be NULL) joined with spaces, as valgrind's
 * "Command:" line shows it; NULL if ARGV is NULL or empty.  Caller frees. */
char *report_argv_join(char *const *argv);
/* xml_escape() written to F. */
void xml_put(FILE *f, const char *s, int attr);

/*
 * Testcase names of the records RECS[IDX[0..N)], into NAMES[0..N)
 * (malloc'd, caller frees each): the kind phrase and the first
 * JUNIT_NAME_FRAMES functions of the stack outside the allocator ("definitely
 * lost in make_node from build_list from main"); a frame without a
 * function is "module+0xOFFSET" (basename, offset from the module's
 * start), without a module "???".  Never an address or record number, so
 * names are stable across runs and machines.  Equal names are told apart
 * by " (2)", " (3)"... in the order of the full symbolized stacks, then
 * bytes and blocks.  FILES/LINES, if not NULL, get the source file
 * (owned by the symbolizer, NULL if none) and line of the first frame in
 * the program's own code (not in a system library).  Never fails.
 */
#define JUNIT_NAME_FRAMES 3
void junit_case_names(const struct report_ctx *rc,
		      const struct loss_record *recs, const size_t *idx,
		      size_t n, char **names, const char **files, int *lines);

/*
 * The result as JUnit XML (format in man/leakcheck.1): a <testsuites>
 * holding one <testsuite> for this process.  Records of the kinds in
 * RC->show_kinds or RC->error_kinds, not suppressed, are testcases,
 * whatever RC->mode says; those of RC->error_kinds fail.  Returns 0 or
 * -errno.
 */
int report_junit(const struct report_ctx *rc, const char *path,
		 const struct report_run *run, const struct loss_record *recs,
		 size_t nrec, const struct leak_summary *sum);

/*
 * The result in valgrind's XML output protocol 4, as memcheck writes it
 * for leak errors: the records memcheck would show (RC->mode full,
 * RC->show_kinds, not suppressed) as Leak_* errors.  Returns 0 or -errno.
 */
/* SARIF 2.1.0 (sarif.c): one result per loss record of an error kind.
 * Returns 0 or -errno. */
int report_sarif(const struct report_ctx *rc, const char *path,
		 const struct report_run *run, const struct loss_record *recs,
		 size_t nrec);
int report_vgxml(const struct report_ctx *rc, const char *path,
		 const struct report_run *run, const struct loss_record *recs,
		 size_t nrec, const struct leak_summary *sum);

/* One leak report's result, as every report file takes it. */
struct report_result {
	const struct loss_record *recs;
	size_t nrec;
	const struct leak_summary *sum;
	const char *command; /* the program's command line, "" if unknown */
};

/*
 * The report files (writers.c), like git's commands[]: the tracer writes
 * each one whose option is given, in this order, and a new format is one
 * entry here.  The text report is not one of them (it goes to the log).
 */
struct report_writer {
	const char *name;	 /* "json" */
	const char *what;	 /* for messages: "JSON" */
	const char *const *file; /* its option (leakcheck/options.h):
				  * the path, %p for the pid, or NULL */
	/* Write R to PATH: 0 or -errno. */
	int (*write)(const struct report_ctx *rc, const char *path,
		     const struct report_result *r);
};
extern const struct report_writer report_writers[]; /* ends at name NULL */
/* PATTERN with each %p replaced by PID; malloc'd, caller frees. */
char *report_path(const char *pattern, pid_t pid);
/* Every report file whose option is given, in the table's order, for
 * process PID; a file that cannot be written gets one error line. */
void report_write_files(const struct report_ctx *rc, pid_t pid,
			const struct report_result *res);

/*
 * Combine the JUnit files written by report_junit() (or by an earlier
 * merge) IN[0..N) into one <testsuites> at OUT, totals recomputed, suites
 * sorted by name.  Anything but that format is refused.  Returns 0, or
 * -1 with a message in *ERR (malloc'd, caller frees) naming the file and
 * line at fault; *ERRCODE is then 65 (input not in the format), 66
 * (input unreadable) or 73 (output not written).
 */
int junit_merge(const char *out, char *const *in, size_t n, char **err,
		int *errcode);
/* The same for the SARIF files of report_sarif() (sarif_merge.c): one
 * log holding every input's runs, sorted.  Returns 0 or -1 with *ERR and
 * *ERRCODE as junit_merge() sets them. */
int sarif_merge(const char *out, char *const *in, size_t n, char **err,
		int *errcode);

#endif
