/*
 * The core layer (src/core/): an ELF core file -- the kernel's, or gdb's
 * gcore -- as a struct target (leakcheck/target.h), and the leak report
 * of one (`leakcheck --core=CORE`).  At the tracer's level: it may call
 * src/alloc/ (the heap walk, the roots) and the libraries, never ptrace.
 */
#ifndef LEAKCHECK_CORE_H
#define LEAKCHECK_CORE_H

#include <stdint.h>
#include <sys/types.h>

#include "arch_defs.h"
#include "leakcheck/target.h"

/* What core_open() and core_check() found wrong, worst first. */
enum core_status {
	CORE_OK = 0,
	CORE_UNREADABLE, /* the file cannot be opened or read */
	CORE_NOT_CORE,	 /* not an ELF file, or an ELF file but no core */
	CORE_BAD_ARCH,	 /* a core of another architecture or class */
	CORE_TRUNCATED,	 /* segments (or notes) lie past the file's end */
	CORE_FILTERED,	 /* writable anonymous memory was not dumped */
};

/* One mapping of the process: a PT_LOAD, named from NT_FILE. */
struct core_map {
	taddr_t start, end; /* [start, end) */
	uint64_t offset;    /* of its bytes in the file */
	uint64_t filesz;    /* bytes in the file (0: not dumped) */
	uint64_t pgoff;	    /* offset in the mapped file (NT_FILE), bytes */
	uint32_t flags;	    /* PF_R | PF_W | PF_X */
	const char *name;   /* a path, [heap], [stack], [vdso] or "";
			     * owned by the core */
	int file_same;	    /* read-only bytes not dumped may be read from
			     * the file: 1 yes, -1 no, 0 not known yet */
};

/* One thread: its NT_PRSTATUS and NT_PRFPREG. */
struct core_thread {
	pid_t tid;
	int cursig; /* the signal in its prstatus, 0 if none */
	arch_regs_t regs;
	int have_fp;	  /* an NT_PRFPREG followed its prstatus */
	uint64_t xmm[32]; /* xmm0-15, two words each */
};

struct core {
	int fd;
	uint64_t size;	       /* of the file */
	struct core_map *maps; /* sorted by start, not overlapping */
	size_t nmaps, maps_cap;
	struct core_thread *threads; /* in note order: the kernel puts the
				      * thread that took the signal first */
	size_t nthreads;
	pid_t pid, ppid; /* from NT_PRPSINFO (else the first thread's) */
	char fname[17];	 /* the program's name (comm) */
	char psargs[81]; /* its command line, cut at 80 bytes */
	int signo;	 /* NT_SIGINFO's signal, else the first prstatus's */
	taddr_t at_entry, at_sysinfo_ehdr; /* from NT_AUXV, 0 if not */
	char *maps_text; /* the mappings in /proc/PID/maps's format */
	char *names;	 /* NT_FILE's strings, which maps[].name use */
	/* a read window over the file, so that small reads are not one
	 * pread each */
	uint8_t *win;
	uint64_t win_off;
	size_t win_len;
};

/*
 * Open the core file PATH into C.  Returns CORE_OK, or another status
 * with *ERR a malloc'd one-line message (no "error:" prefix; caller
 * frees) and C released.  Memory: the notes and the map table, never
 * the segments (read on demand with pread).
 */
int core_open(struct core *c, const char *path, char **err);
/* Read LEN bytes at ADDR of the process from C: bytes read (short where
 * the core holds no more), or -EFAULT if none.  CTX is a struct core. */
long core_read(void *ctx, taddr_t addr, void *buf, size_t len);
/* C as a target (its maps text, core_read). */
void core_target(struct core *c, struct target *tg);
/*
 * Is everything a scan needs in C?  Returns CORE_OK, or CORE_TRUNCATED
 * (segments cut off by the file's end: which ones) or CORE_FILTERED
 * (writable anonymous memory left out by coredump_filter or
 * MADV_DONTDUMP: which, and how to take a better core), *ERR then set
 * as by core_open().
 */
int core_check(const struct core *c, char **err);
/* C's mappings in /proc/PID/maps's format, NAMES[i] (if NAMES and it
 * are not NULL) standing for maps[i].name.  Malloc'd, caller frees. */
char *core_maps_format(const struct core *c, const char *const *names);
/* The mapping of C holding ADDR, or NULL. */
const struct core_map *core_map_of(const struct core *c, taddr_t addr);
/* The build id of the ELF image whose header C holds at BASE into ID
 * (at most MAX bytes): its length, or 0 if the core does not hold it. */
size_t core_build_id(struct core *c, taddr_t base, uint8_t *id, size_t max);
void core_release(struct core *c);

/* report.c: `leakcheck --core=CORE [PROGRAM]`: the leak report of the
 * core CORE, PROGRAM (or NULL) the executable for symbols.  Prints the
 * report and any error; returns the exit status (0, an LC_EXIT_* code,
 * or --error-exitcode). */
int core_report(const char *core_path, const char *program);

#endif
