/*
 * The allocator layer (src/alloc/): what an allocator call means
 * (recorded into each process's heap table and the stack depot, which it
 * owns) and what glibc's heap looks like (the heap walk at attach, and
 * letting threads inside the allocator finish first).  Calls only down,
 * into src/bp/ and src/ptrace/.
 */
#ifndef LEAKCHECK_ALLOC_H
#define LEAKCHECK_ALLOC_H

#include "bp/bp.h"
#include "leakcheck/scan.h"
#include "leakcheck/target.h"

/* Global tracer state. */
extern struct stack_depot g_depot; /* defined and written in hooks.c;
				    * made and freed by the run (tracer/) */

/* alloc/'s counters, for --stats; written by hooks.c (entry_traps also
 * by the run's own entry hooks: tracer_entry in launch.c). */
struct alloc_stats {
	uint64_t entry_traps, return_traps, allocs, frees, unknown_frees,
	    nested;
	uint64_t calls[HOOK_NKINDS]; /* outermost calls, per entry point kind */
	uint64_t stub_returns;	     /* calls that returned through a stub */
	uint64_t harvests;	     /* reads of stub cells */
	uint64_t stale_pre_attach;   /* walk blocks found freed by an overlap */
	uint64_t fast_checked;	     /* program's walks compared with libunwind
				      * (LEAKCHECK_TEST_CFIWALK) */
	uint64_t fast_check_differ;  /* ... that differed */
};
extern struct alloc_stats g_alloc_stats;
/* hooks.c */
/* T is at allocator entry point B (a kind below HOOK_CLEAR_DEAD): record
 * the call, or note it to be completed at its return.  REGS's pc is set
 * to B's address. */
void hook_entry(struct thread *t, struct bp *b, arch_regs_t *regs);
void hook_return(struct thread *t, arch_regs_t *regs);
/* clientreq.c: T is at the client request B of valgrind.h (see there);
 * REGS's pc is set to B's address. */
void hook_client_request(struct thread *t, struct bp *b, arch_regs_t *regs);
/* clientreq.c: every block of P as the leak check sees it, sorted
 * (malloc's, taken from the table if TAKE, and the declared ones); then
 * clientreq_drop_pool_memory compacts the scan blocks made of them,
 * leaving out a malloc'd block that holds declared ones.  Both used by
 * every report and snapshot. */
struct heap_block *clientreq_blocks(struct proc *p, int take, size_t *n);
size_t clientreq_drop_pool_memory(struct scan_block *b, size_t nb);
/* The same, quietly: returns 0, or -ENOENT if no call of T was pending
 * at that return (REGS untouched then). */
int hook_return_ok(struct thread *t, arch_regs_t *regs);
/* Record the calls of P that returned through stubs since the last time
 * (every trap, report and exit of P does this first). */
void hook_harvest(struct proc *p);
void hook_harvest_stopped(struct proc *p);

/* heapwalk.c: enter the blocks glibc's malloc has live into P's table
 * (HB_PRE_ATTACH, no stack), every thread of P stopped. */
void heap_walk(struct proc *p);
/* The same on any target: the blocks in use, into OUT (HB_PRE_ATTACH, no
 * stack), their number and bytes in *NBLOCKS and *NBYTES.  Returns
 * HEAP_WALK_OK; HEAP_WALK_EMPTY if malloc has not been used; or
 * HEAP_WALK_UNKNOWN if glibc's main_arena is not found (its heap is then
 * to be scanned as roots).  Damage found is said in one warning line. */
enum { HEAP_WALK_OK, HEAP_WALK_EMPTY, HEAP_WALK_UNKNOWN };
int heap_walk_target(const struct target *tg, struct heap_table *out,
		     size_t *nblocks, uint64_t *nbytes);
/* jemalloc.c: where jemalloc 5.3.0's state is in a target (see there). */
struct je_layout {
	taddr_t root;	   /* its extent map's root array */
	int64_t tls_off;   /* its static TLS block (tsd_t), from a thread
			    * pointer */
	uint64_t tls_size; /* that block's size */
};
/* Find it in TG for the module MOD (LEN bytes: its path as in TG's maps,
 * the one malloc is bound in).  Returns 0 and fills *OUT, or -1 with why
 * not (not version 5.3.0, a part not found) in WHY. */
int je_locate(const struct target *tg, const char *mod, size_t len,
	      struct je_layout *out, char *why, size_t why_len);
/* The blocks jemalloc has live in TG, less the regions cached by the
 * threads whose thread pointers are TPS (NTP), into OUT (HB_PRE_ATTACH, no
 * stack, usable sizes); their number and bytes in *NBLOCKS and *NBYTES.
 * Returns 0, or -1 with what does not add up in WHY: nothing is put into
 * OUT then. */
int je_walk_target(const struct target *tg, const struct je_layout *lay,
		   const taddr_t *tps, size_t ntp, struct heap_table *out,
		   size_t *nblocks, uint64_t *nbytes, char *why,
		   size_t why_len);
/* heapwalk.c: where the jemalloc 5.3.0 that P's malloc is bound in keeps
 * its state, whether its blocks were walked at attach or all seen from
 * the start (a launched program): so that the scan can cut its memory
 * out of the roots.  MAPS: P's maps as TG reads them.  Returns 0 and
 * fills *OUT, or -1 (glibc's malloc, or not a jemalloc we know). */
int heap_je_layout(struct proc *p, const struct target *tg, const char *maps,
		   struct je_layout *out);
/* jemalloc 5.3.0's sz_index2size on x86-64: the bytes of size class
 * SZIND (0: 8, 1: 16, ..., 35: 14336, 36: 16384, ...). */
uint64_t je_size_class(unsigned szind);
/* jemalloc's own memory in TG: its extents in any state, the base
 * blocks that hold its metadata (or, where one is not found, the mapping
 * that holds it) and the extent map cache (rtree_ctx_t) in the TLS of
 * each of the threads TH (NTH) whose cache is found, sorted and apart,
 * into *OUT (malloc'd, caller frees; only start and end set) and *NOUT.
 * Returns 0 or -EIO. */
int je_heap_ranges(const struct target *tg, const struct je_layout *lay,
		   const struct target_thread *th, size_t nth,
		   struct scan_range **out, size_t *nout);
/* The brk heap of TG where its maps do not name it (a core): from the
 * end of main_arena's top chunk back over its system_mem, into *START and
 * *END.  Returns 0, or -ENOENT (no main_arena, or it does not add up). */
int heap_brk_range(const struct target *tg, taddr_t *start, taddr_t *end);
/* hooks.c: remember the walk's blocks; drop those a new block overlaps */
void hook_index_pre_blocks(struct proc *p);

/* drain.c: let every thread of P stopped inside the allocator finish its
 * call (every thread stopped, no breakpoint in yet); returns how many
 * were inside.  Never fails: a thread that does not come out is stopped
 * where it got to. */
int drain_allocator(struct proc *p);
/* Returns 1 if it unwound and the stack ended before opt.num_callers. */
int hook_fast_call(struct proc *p, const struct fast_call *c);
void hook_fast_free(struct proc *p, taddr_t addr);

/* roots.c: the root set of a scan (see there), as data: ranges and words,
 * each saying what it is. */
struct roots_opts {
	int heap_unknown; /* the heap cannot be walked: it is a root (less
			   * the tracked blocks) */
	const struct scan_range *exclude; /* not the program's memory */
	size_t nexclude;
	const struct scan_range *heap; /* the allocator's memory, none of
					* it a root: sorted, apart */
	size_t nheap;
};
struct root_set {
	struct scan_range *ranges; /* in the order of the maps */
	size_t nranges, ranges_cap;
	taddr_t *words;			  /* root words ... */
	struct scan_root_word *word_info; /* ... and what each is */
	size_t nwords, words_cap;
	char *text; /* the maps copy the names point into */
};
/* Gather the roots of target TG with threads TH (NTH) and the tracked
 * blocks BLOCKS (NB, sorted by address) into *OUT.  Never fails (memory
 * that cannot be read gives no roots).  Release *OUT with
 * root_set_release(). */
void roots_gather(const struct target *tg, const struct target_thread *th,
		  size_t nth, const struct scan_block *blocks, size_t nb,
		  const struct roots_opts *o, struct root_set *out);
void root_set_release(struct root_set *r);
/* The classification of BLOCKS (NB) from the roots R over TG's memory,
 * as a live run and a core both ask for it (glibc's chunk geometry,
 * memcheck's heuristics); the caller adds holders if it wants them.  R
 * and BLOCKS must outlive the scan. */
struct scan_input root_set_scan_input(const struct root_set *r,
				      const struct target *tg,
				      struct scan_block *blocks, size_t nb);

#endif
