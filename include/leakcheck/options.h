/*
 * options: the parsed command line, shared read-only by every module
 * after main() has filled it.  Exit codes leakcheck itself uses.
 */
#ifndef LEAKCHECK_OPTIONS_H
#define LEAKCHECK_OPTIONS_H

#include <stdint.h>

#include "leakcheck/report.h"

struct supp_set;

#define HOLDERS_OF_MAX 16 /* --holders-of options at most */

/* leakcheck's own exit codes (otherwise: the program's status). */
enum lc_exit {
	LC_EXIT_USAGE = 64,	     /* bad option or value */
	LC_EXIT_NOTELF = 65,	     /* PROGRAM is not an ELF executable */
	LC_EXIT_BADARCH = 66,	     /* 32-bit or not x86-64 */
	LC_EXIT_PTRACE = 67,	     /* ptrace not permitted */
	LC_EXIT_NOPID = 68,	     /* --pid: no such process */
	LC_EXIT_CORE_TRUNCATED = 69, /* --core: segments cut off */
	LC_EXIT_INTERNAL = 70,	     /* leakcheck failed */
	LC_EXIT_CORE_FILTERED =
	    71,			/* --core: memory coredump_filter left out */
	LC_EXIT_CORE_HEAP = 72, /* --core: no glibc heap found in it */
	LC_EXIT_OUTPUT = 73,	/* an output file could not be written */
	LC_EXIT_INPUT = 74,	/* cannot read an input file (--suppressions) */
	LC_EXIT_PRIVILEGED = 77, /* PROGRAM is setuid/setgid/has capabilities */
	LC_EXIT_NOEXEC = 126,	 /* PROGRAM found but not executable */
	LC_EXIT_NOTFOUND = 127,	 /* PROGRAM not found */
};

enum decl_kind {
	DECL_ALLOC,   /* returns a block of SIZE bytes, like malloc */
	DECL_FREE,    /* frees the block in PTR, like free */
	DECL_REALLOC, /* resizes PTR to SIZE, like realloc */
};

struct options {
	enum leak_check_mode leak_check;
	unsigned show_kinds;
	unsigned error_kinds;
	unsigned holder_kinds; /* --show-holders: 1 << leak_kind */
	unsigned top_holders;  /* --top-holders: how many, 0: none */
	/* --holders-of: "0xADDR" or a glob over allocation frames, in order */
	const char *holders_of[HOLDERS_OF_MAX];
	unsigned nholders_of;
	int error_exitcode; /* 0: none */
	unsigned num_callers;
	const char *log_file;
	const char *json_file;
	const char *junit_file;
	const char *sarif_file;
	const char *xml_file; /* with --xml=yes */
	int quiet;
	int verbose;
	int trace_children;
	int stats;
	int no_same_cpu;       /* --same-cpu=no */
	int no_fast_path;      /* --fast-path=no */
	int unwind_in_program; /* --unwind-in-program=yes (the default) */
	int no_libc_freeres;   /* --run-libc-freeres=no */
	int no_cxx_freeres;    /* --run-cxx-freeres=no */
	int no_default_supps;  /* --default-suppressions=no */
	/* --malloc-like, --free-like, --realloc-like: the program's own
	 * allocator functions, by name */
	struct decl_fn {
		const char *name;
		uint8_t kind;  /* enum decl_kind */
		uint8_t ptr;   /* argument (1..3) holding the block, 0: none */
		uint8_t size;  /* argument (1..3) holding the size ... */
		uint8_t size2; /*   ... times this one (calloc-like), 0: none */
	} decl[32];
	unsigned ndecl;
	int pids[64];	  /* every --pid and --pid-tree, in order */
	int pid_tree[64]; /*   1: with its descendants (--pid-tree) */
	unsigned npids;
	unsigned interval; /* seconds between reports, 0: none */
	int report_new;	   /* --report=new */
	unsigned duration; /* --pid: seconds before detaching, 0: none */
	int once;	   /* --pid: report once and detach */
	const char *core;  /* --core: report on this core file */
	/* heap profiles (src/report/profile.c) */
	const char *heap_profile;	/* --heap-profile pattern, or NULL */
	unsigned heap_profile_interval; /* seconds between snapshots, 0: none */
	const char *folded_file;	/* --folded pattern, or NULL */
	const char *flamegraph;		/* --flamegraph pattern, or NULL */
	unsigned long sample_rate; /* --sample-rate bytes; 0: every block */
	struct supp_set *supps;	   /* --suppressions, all files; NULL: none */
	int gen_suppressions;	   /* --gen-suppressions=all */
};

extern struct options opt;

#endif
