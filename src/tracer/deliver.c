/*
 * deliver: a signal for the program is delivered where the program is,
 * never in code of ours.
 *
 * A thread may be stopped for a signal while it runs code leakcheck put
 * in the program: the fast path's recorder (fast.S), an instance, the
 * displaced instructions of an out-of-line slot, a return stub or a
 * return slot (bp.c).  A signal that comes while a thread is stopped at
 * one of our traps is delivered as it resumes, so this is common, not
 * rare.  A handler that runs there and returns does no harm; one that
 * never returns (siglongjmp: a watchdog, an interpreter's time limit)
 * leaves our code half way: its call marked in progress for good, so that
 * the thread's later calls count as nested and go unrecorded, or a ring
 * slot reserved and never written, which stalls the ring.  valgrind's
 * rule is ours: a handler never starts inside the tool's own code.
 *
 * So the thread first leaves our code: put back at the function's entry
 * if it was in an instance (nothing is done there yet), or run on an
 * instruction at a time to where our code leaves the page (tens of
 * instructions; the stack copy's rep movsb we do at once, an int3 of ours
 * we handle as its trap would be).  Then the signal is delivered, with
 * its siginfo, from the last of those stops (a single-step's SIGTRAP is a
 * signal-delivery-stop too).  Other signals that come meanwhile are sent
 * again afterwards, as inject.c does.
 *
 * XXX: a thread at a full ring that a drain does not free (the slot at
 * the tail belongs to another thread, stopped before it wrote it) gets
 * its signal where it is, as before.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/util.h"

/* Moves before we give up: our longest path is well under 100. */
#define LEAVE_MAX 1000

enum leave {
	LEAVE_OUT,   /* out of our code: deliver now */
	LEAVE_AGAIN, /* moved on, still in our code */
	LEAVE_STUCK, /* cannot go on: deliver where it is */
	LEAVE_GONE,  /* no longer ours to resume (exited, or handed on) */
};

static int in_page(const struct proc *p, taddr_t pc)
{
	return p->page && pc >= p->page && pc < p->page + PAGE_SIZE_INJ;
}

/* T, at our int3 at PC (not executed yet) with registers R: do what its
 * trap would, for the trampoline and the return slots. */
static enum leave our_int3(struct thread *t, arch_regs_t *r, taddr_t pc)
{
	struct proc *p = t->proc;
	taddr_t ret;
	int slot = pc >= p->page + INJ_RET && pc < p->page + INJ_STUB &&
		   bp_ret_slot_target(p, pc, &ret);

	if (!slot && pc != p->page + INJ_TRAMP)
		return LEAVE_STUCK;
	hook_harvest(p); /* what returned before, first (on_trap) */
	ARCH_PC(r) = pc + ARCH_BP_LEN;
	if (hook_return_ok(t, r) && !slot)
		return LEAVE_STUCK; /* the trampoline, with nothing pending */
	/* (a return slot goes on to RET whether or not a call was pending) */
	return ptrace(PTRACE_SETREGS, t->tid, 0, r) < 0 ? LEAVE_STUCK
							: LEAVE_AGAIN;
}

/* One move of T, stopped with registers R in our page; *STEPPED is set
 * once it has single-stepped (its stop is then the step's SIGTRAP). */
static enum leave move(struct thread *t, arch_regs_t *r, int *stepped,
		       int *deferred, int *ndeferred)
{
	struct proc *p = t->proc;
	taddr_t pc = ARCH_PC(r);
	uint8_t code[2];
	int status;

	switch (fast_leave(t, r)) {
	case FAST_OUT:
		return LEAVE_OUT;
	case FAST_ON:
		return LEAVE_AGAIN;
	case FAST_STUCK:
		return LEAVE_STUCK;
	default:
		break;
	}
	if (mem_read(p->pid, pc, code, sizeof(code)) != (long)sizeof(code))
		return LEAVE_STUCK;
	if (code[0] == ARCH_BP_INSN)
		return our_int3(t, r, pc);
	if (fast_copy_at_once(t, r))
		return LEAVE_AGAIN; /* the stack copy: at once */
	for (;;) {
		if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) < 0 ||
		    wait_tid(t->tid, &status, __WALL) < 0)
			return LEAVE_STUCK;
		if (WIFSTOPPED(status) && (status >> 16) == 0 &&
		    WSTOPSIG(status) == SIGTRAP) {
			*stepped = 1;
			return LEAVE_AGAIN;
		}
		if (WIFSTOPPED(status) && (status >> 16) == 0) {
			/* another signal, before the step: later */
			if (*ndeferred < 8)
				deferred[(*ndeferred)++] = WSTOPSIG(status);
			continue;
		}
		/* it exited, or an event (a group-stop): the loop's */
		task_dispatch(t->tid, status);
		return LEAVE_GONE;
	}
}

void tracer_deliver(struct thread *t, int sig)
{
	struct proc *p = t->proc;
	pid_t tid = t->tid, pid = p->pid;
	int deferred[8], ndeferred = 0, stepped = 0, n;
	enum leave how = LEAVE_AGAIN;
	siginfo_t si;
	arch_regs_t r;

	if (!p->page || ptrace(PTRACE_GETREGS, tid, 0, &r) < 0 ||
	    !in_page(p, ARCH_PC(&r))) {
		task_resume(tid, sig);
		return;
	}
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) < 0) {
		task_resume(tid, sig);
		return;
	}
	debug("pid %d: signal %d at %#llx, in our code: moved out first", tid,
	      sig, (unsigned long long)ARCH_PC(&r));
	for (n = 0; n < LEAVE_MAX && how == LEAVE_AGAIN; n++) {
		if (!in_page(p, ARCH_PC(&r))) {
			how = LEAVE_OUT;
			break;
		}
		how = move(t, &r, &stepped, deferred, &ndeferred);
		if (how == LEAVE_AGAIN &&
		    ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
			how = LEAVE_STUCK;
	}
	if (how == LEAVE_GONE) {
		/* its stop is someone else's now: send SIG again */
		if (thread_find(tid))
			syscall(SYS_tgkill, pid, tid, sig);
	} else {
		if (how != LEAVE_OUT)
			debug(
			    "pid %d: signal %d delivered in our code, at %#llx",
			    tid, sig, (unsigned long long)ARCH_PC(&r));
		/* from a step's SIGTRAP stop: with the signal's own siginfo */
		if (stepped)
			ptrace(PTRACE_SETSIGINFO, tid, 0, &si);
		task_resume(tid, sig);
	}
	for (int i = 0; i < ndeferred; i++)
		syscall(SYS_tgkill, pid, tid, deferred[i]);
}
