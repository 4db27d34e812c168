/*
 * cfitab: compact unwind tables, and the stack walker that reads them.
 *
 * For each loaded module, leakcheck turns its .eh_frame (DWARF CFI) into
 * rows that say, per address range, what ORC and SFrame say: where the
 * CFA is (sp + off or rbp + off), that the return address is at CFA - 8
 * (always, on x86-64; a row where it is not is a fallback row), and
 * where the caller's rbp is (unchanged, or saved at CFA + off).  What
 * these rows cannot say (a CFA from a DWARF expression or from another
 * register, a signal frame, a register rule of another kind, code with
 * no FDE) is a fallback row: a walk stops there and says so, and the
 * caller unwinds that stack some other way (libunwind, on a copy).
 *
 * A table is one blob with no pointers in it (offsets from its start),
 * so that it can be placed in the traced program and read there by the
 * walker (walk.c), which is freestanding C: no libc, no locks, every
 * stack read bounds-checked, async-signal-safe.
 *
 * Blob layout (little-endian, naturally aligned):
 *   struct cfitab_hdr
 *   struct cfitab_mod[nmods]      sorted by lo, not overlapping
 *   struct cfitab_row[...]        each module's rows, sorted by addr
 *
 * walk.c includes it with CFITAB_FREESTANDING defined: <stdint.h> only.
 */
#ifndef LEAKCHECK_CFITAB_H
#define LEAKCHECK_CFITAB_H

#include <stdint.h>

#define CFITAB_MAGIC 0x31544643u /* "CFT1" */

struct cfitab_hdr {
	uint32_t magic;
	uint32_t nmods;
	uint64_t size; /* of the whole blob, in bytes */
	uint64_t gen;  /* changes whenever the blob does */
};

/* One module: an executable mapping of an ELF file, [lo, hi) in the
 * process; row addresses are file vaddrs, pc - bias. */
struct cfitab_mod {
	uint64_t lo, hi;
	uint64_t bias;
	uint32_t rows; /* offset of its first row from the blob's start */
	uint32_t nrows;
};

/* How a row finds the CFA. */
enum cfitab_kind {
	CFI_NONE = 0,	  /* no FDE covers these addresses: fallback */
	CFI_SP = 1,	  /* CFA = rsp + cfa_off */
	CFI_BP = 2,	  /* CFA = rbp + cfa_off */
	CFI_FALLBACK = 3, /* an FDE the rows cannot describe: fallback */
	CFI_END = 4,	  /* the return address (or rbp) is undefined: the
			   * outermost frame (_start, a thread's start), as
			   * libunwind's x86-64 step has it */
};

/* Where the caller's rbp is. */
enum cfitab_rbp {
	CFI_RBP_SAME = 0, /* in rbp, as in this frame */
	CFI_RBP_AT = 1,	  /* saved at CFA + rbp_off */
	CFI_RBP_LOST = 2, /* not known: a later rbp-based CFA is a fallback */
};

/* A row holds from addr up to the next row's addr; a module's last row
 * is a CFI_NONE row at the end of its last FDE. */
struct cfitab_row {
	uint32_t addr; /* file vaddr */
	int32_t cfa_off;
	int16_t rbp_off;
	uint8_t kind; /* enum cfitab_kind */
	uint8_t rbp;  /* enum cfitab_rbp */
};

/* Why a walk ended. */
enum cfiwalk_end {
	CFIWALK_END = 0,      /* the outermost frame, or a return address 0 */
	CFIWALK_MAX = 1,      /* PCS is full */
	CFIWALK_FALLBACK = 2, /* a frame the tables cannot describe (its pc
			       * is the last in PCS) */
	CFIWALK_OUT = 3,      /* a read fell outside [lo, hi) (its pc is the
			       * last in PCS) */
	CFIWALK_LOOP = 4,     /* no progress (the same pc and sp again) */
};

/* The stack being walked: the bytes of [lo, hi) are at MEM (in the
 * program, MEM is lo itself; a copy elsewhere in a test). */
struct cfiwalk_stack {
	const unsigned char *mem;
	uint64_t lo, hi;
};

/*
 * Walk from a frame with registers PC, SP, RBP (PC looked up as it is:
 * a stopped pc, or the return address of a call that just returned; the
 * callers' return addresses are looked up at ra - 1, as libunwind does)
 * with the table TAB, of which at most SIZE bytes may be read (its
 * header's size is read once, and capped at SIZE).  PCS[0] = PC, then
 * the callers' return addresses, at most MAX in all.  Returns the count
 * (>= 1 if MAX >= 1) and sets *WHY.  Reads nothing outside TAB[0..SIZE)
 * and STACK; never fails.  Freestanding (walk.c): callable from a signal
 * handler or from code placed in another process.
 */
int cfiwalk(const void *tab, uint64_t size, const struct cfiwalk_stack *stack,
	    uint64_t pc, uint64_t sp, uint64_t rbp, uint64_t *pcs, int max,
	    int *why);

/*
 * A row lookup cache for one walker at a time (the fast path keeps one
 * per thread): direct-mapped, each entry the row found for a looked-up
 * pc in the table of generation GEN.  A walk with a large table spends
 * most of its time in the binary search for rows it looked up before
 * (the same few call sites, call after call); an entry says the row for
 * its pc only while the table's gen is the one it was filled under.
 * All zeroes is empty (no pc is 0).
 */
#define CFIWALK_CACHE_N 256
struct cfiwalk_cache_ent {
	uint64_t pc, gen;
	struct cfitab_row row;
	uint32_t pad;
};
struct cfiwalk_cache {
	struct cfiwalk_cache_ent e[CFIWALK_CACHE_N];
};

/* cfiwalk, with the rows looked up through CACHE for the table's
 * generation GEN (the header's, as the caller read it). */
int cfiwalk_cached(const void *tab, uint64_t size,
		   const struct cfiwalk_stack *stack, uint64_t pc, uint64_t sp,
		   uint64_t rbp, uint64_t *pcs, int max, int *why,
		   struct cfiwalk_cache *cache, uint64_t gen);

/* ---- building tables (cfitab.c; leakcheck's side, libc allowed) ---- */
#ifndef CFITAB_FREESTANDING

#include <stddef.h>
#include <sys/types.h>

/*
 * The rows for CFI section bytes SEC[0..LEN), loaded at vaddr ADDR: an
 * .eh_frame (EH 1) or a .debug_frame (EH 0).  Returns the number of
 * rows; *OUT is malloc'd (caller frees), NULL if none.  Malformed input
 * gives fewer rows (never a read outside SEC).  Never fails.
 */
size_t cfitab_parse(const unsigned char *sec, size_t len, uint64_t addr, int eh,
		    struct cfitab_row **out);

/* The rows of the ELF file PATH (its .eh_frame).  Returns the count,
 * *OUT malloc'd or NULL; 0 if the file has none or cannot be read. */
size_t cfitab_file_rows(const char *path, struct cfitab_row **out);

/* A process's table, built from /proc/PID/maps and each module's file;
 * rows are kept per file across rebuilds. */
struct cfitab_proc;

struct cfitab_proc *cfitab_proc_new(pid_t pid);
void cfitab_proc_free(struct cfitab_proc *t);
/* The module map changed: the next cfitab_proc_blob rebuilds. */
void cfitab_proc_flush(struct cfitab_proc *t);
/* The current blob (built now if need be); *SIZE its size.  Valid until
 * the next flush or free.  Never fails (an empty table at worst). */
const void *cfitab_proc_blob(struct cfitab_proc *t, size_t *size);

#endif /* CFITAB_FREESTANDING */
#endif
