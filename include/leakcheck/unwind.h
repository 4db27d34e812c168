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

#include <sys/user.h>
#include "leakcheck/types.h"

struct unwinder;

struct unwind_stats {
	uint64_t unwinds;     /* calls to unwind_stack */
	uint64_t frames;      /* frames produced */
	uint64_t snap_misses; /* memory reads outside the snapshot */
	uint64_t ns;          /* time spent unwinding */
};

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

const struct unwind_stats *unwind_get_stats(const struct unwinder *u);

#endif
