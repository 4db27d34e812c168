/*
 * unwind: call stacks of a stopped tracee thread, as raw PCs.
 *
 * One unwinder per address space (process).  Memory is read from one
 * process_vm_readv snapshot of the top of the stack per unwind, falling
 * back to process_vm_readv for anything outside it; unwind tables are
 * cached across calls.  The backend (libunwind-ptrace today) sits behind
 * this interface.
 */
#ifndef LEAKCHECK_UNWIND_H
#define LEAKCHECK_UNWIND_H

#include <stdbool.h>
#include <sys/user.h>
#include "leakcheck/types.h"

struct unwinder;

/* Counters; the caches' hit rates are for --stats. */
struct unwind_stats {
	uint64_t unwinds;      /* calls to unwind_stack(_saved) */
	uint64_t frames;       /* frames produced */
	uint64_t ns;	       /* time spent unwinding */
	uint64_t mem_reads;    /* words of tracee memory the unwinder read */
	uint64_t snap_misses;  /* ... not in the stack snapshot as taken */
	uint64_t page_lookups; /* ... then looked up in the page cache */
	uint64_t page_hits;    /* ... and found there */
	uint64_t steps;	       /* steps by unwind info (unw_step calls) */
	uint64_t find_calls;   /* unwind info looked up: the step's IP was not
				* in libunwind's register-state cache */
	uint64_t find_neg;     /* ... answered by the no-unwind-info cache */
	uint64_t vm_reads;     /* process_vm_readv calls */
	/* LEAKCHECK_TEST_CFIWALK set: each unwind also walked with the
	 * compact tables (cfitab.h) and compared */
	uint64_t cfi_walks;    /* walks compared */
	uint64_t cfi_full;     /* ... that gave the whole stack */
	uint64_t cfi_fallback; /* ... that met a frame they cannot describe */
	uint64_t cfi_differ;   /* ... that disagreed with libunwind */
	uint64_t cfi_nocfi;    /* ... where libunwind had no CFI for a frame
				* the tables describe (compared up to it) */
	uint64_t cfi_frames;   /* frames the walks gave */
};

/* DST += SRC, field by field. */
static inline void unwind_stats_add(struct unwind_stats *dst,
				    const struct unwind_stats *src)
{
	dst->unwinds += src->unwinds;
	dst->frames += src->frames;
	dst->ns += src->ns;
	dst->mem_reads += src->mem_reads;
	dst->snap_misses += src->snap_misses;
	dst->page_lookups += src->page_lookups;
	dst->page_hits += src->page_hits;
	dst->steps += src->steps;
	dst->find_calls += src->find_calls;
	dst->find_neg += src->find_neg;
	dst->vm_reads += src->vm_reads;
	dst->cfi_walks += src->cfi_walks;
	dst->cfi_full += src->cfi_full;
	dst->cfi_fallback += src->cfi_fallback;
	dst->cfi_differ += src->cfi_differ;
	dst->cfi_nocfi += src->cfi_nocfi;
	dst->cfi_frames += src->cfi_frames;
}

/* Returns NULL and sets errno on failure. */
struct unwinder *unwind_new(pid_t pid);
void unwind_free(struct unwinder *u);
/* The module map changed (dlopen, dlclose, exec): drop cached tables. */
void unwind_flush(struct unwinder *u);

/*
 * Unwind thread TID, stopped with registers REGS.  PCS[0] = REGS->rip, then
 * the return addresses of the callers; at most MAX entries.  Returns the
 * number of entries (>= 1).  Never fails: a broken stack just ends early.
 */
int unwind_stack(struct unwinder *u, pid_t tid,
		 const struct user_regs_struct *regs, taddr_t *pcs, int max);

/*
 * Unwind from a copy of a stack taken earlier: REGS are the first frame's
 * registers (rip, rsp, rbp, rbx, r12-r15 are used); STACK[0..LEN) are the
 * bytes that were at [REGS->rsp, REGS->rsp + LEN); HI is the end of that
 * thread's stack.  A read in [REGS->rsp, HI) outside the copy fails (the
 * live stack there has changed since) and the stack just ends; every other
 * read (unwind tables, code, Go's other stack) comes from the process as in
 * unwind_stack.  PCS[0] = REGS->rip.  Returns the count (>= 1).
 *
 * The copy is read in place, not copied, for the duration of the call.  A
 * REGS->rip that is a return address (the copy taken in the caller, just
 * after a call returned) is looked up as it is, like a stopped pc; that
 * only goes wrong after a call that ends its function (a noreturn call).
 */
int unwind_stack_saved(struct unwinder *u, pid_t tid,
		       const struct user_regs_struct *regs, const void *stack,
		       size_t len, taddr_t hi, taddr_t *pcs, int max);

/* Did the last unwind_stack_saved end because the copy was too short? */
bool unwind_ran_out(const struct unwinder *u);

const struct unwind_stats *unwind_get_stats(const struct unwinder *u);
/* The sum of the stats of every unwinder freed so far. */
const struct unwind_stats *unwind_freed_stats(void);

#endif
