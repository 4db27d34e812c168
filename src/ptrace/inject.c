/*
 * inject: make a stopped tracee thread execute one system call for us (to
 * map the out-of-line page).  We borrow the bytes at its current PC for
 * `syscall; int3`, run to the int3, and put bytes and registers back.  A
 * signal that arrives meanwhile is sent again afterwards with tgkill, so
 * the program still gets it.
 *
 * A thread in a group-stop (job control: stopped by SIGSTOP, SIGTSTP...,
 * t->listening) goes back into it afterwards (inject_restop), so that
 * PTRACE_LISTEN keeps it stopped until the program is continued.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptrace/ptrace.h"
#include "leakcheck/util.h"

/*
 * T was in a group-stop and we made it run our code: its ptrace-stop is
 * now another one (our int3's SIGTRAP), which PTRACE_LISTEN refuses with
 * EIO, and a PTRACE_INTERRUPT would only trap after the next resume.  A
 * thread left so is trapped for good: not listening, the program's
 * SIGCONT does not wake it, and the next wait for its stop never ends
 * (--pid of a stopped process hung so).  INTERRUPT, then CONT from this
 * stop: it traps again at once, before any signal is dequeued, with
 * PTRACE_EVENT_STOP and the group's stop signal, or SIGTRAP if the group
 * was continued meanwhile (then it is no longer listening and is resumed
 * as any thread).  Returns 0 or -errno; if it is gone, its last status is
 * kept as at an exit stop (pend_exit), for the resume to hand on.
 */
int inject_restop(struct thread *t)
{
	int status;

	if (!t->listening)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 ||
	    ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
		return -errno;
	for (;;) {
		if (wait_tid(t->tid, &status, __WALL) < 0)
			return -errno;
		if (!WIFSTOPPED(status) ||
		    (status >> 16) == PTRACE_EVENT_EXIT) {
			t->listening = 0;
			t->pend_exit = 1;
			t->pend_status = status;
			return WIFSTOPPED(status) ? 0 : -ESRCH;
		}
		if ((status >> 16) == PTRACE_EVENT_STOP) {
			t->listening = is_group_stop_sig(WSTOPSIG(status));
			return 0;
		}
		/* (not expected: the trap comes first) a signal: keep it */
		if ((status >> 16) == 0 && !t->pending_sig)
			t->pending_sig = WSTOPSIG(status);
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
			return -errno;
	}
}

static void restop_tid(pid_t tid)
{
	struct thread *t = thread_find(tid);

	if (t && t->listening)
		inject_restop(t);
}

/*
 * At a PTRACE_EVENT_EXEC stop the thread is still inside execve, whose
 * return value will overwrite the return register when it resumes: run it
 * to an int3 at its first instruction, so that registers we set stick.
 */
int inject_settle(struct proc *p, pid_t tid)
{
	arch_regs_t r;
	uint8_t orig, int3 = ARCH_BP_INSN;
	int status, deferred[8], ndeferred = 0, ret = 0;
	taddr_t pc;

	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return -errno;
	pc = ARCH_PC(&r);
	if (mem_read_force(p, pc, &orig, 1) != 1 ||
	    mem_write_code(p, pc, &int3, 1))
		return -EFAULT;
	for (;;) {
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0 ||
		    wait_tid(tid, &status, __WALL) < 0) {
			ret = -errno;
			break;
		}
		if (!WIFSTOPPED(status))
			return -ESRCH;
		if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0)
			break;
		if ((status >> 16) == 0 &&
		    ndeferred < (int)ARRAY_SIZE(deferred))
			deferred[ndeferred++] = WSTOPSIG(status);
	}
	mem_write_code(p, pc, &orig, 1);
	if (!ret && ptrace(PTRACE_GETREGS, tid, 0, &r) == 0) {
		ARCH_PC(&r) = pc;
		ptrace(PTRACE_SETREGS, tid, 0, &r);
	}
	for (int i = 0; i < ndeferred; i++)
		syscall(SYS_tgkill, p->pid, tid, deferred[i]);
	restop_tid(tid);
	return ret;
}

long inject_syscall(struct proc *p, pid_t tid, long nr,
		    const unsigned long long args[6])
{
	arch_regs_t saved, r;
	uint8_t orig[ARCH_SYSCALL_INSN_LEN];
	int deferred[8], ndeferred = 0, status;
	long ret = -EIO;
	taddr_t pc;

	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0)
		return -errno;
	pc = ARCH_PC(&saved);
	if (mem_read_force(p, pc, orig, sizeof(orig)) != (long)sizeof(orig)) {
		debug("inject: cannot read code at %#llx",
		      (unsigned long long)pc);
		return -EFAULT;
	}
	if (mem_write_code(p, pc, ARCH_SYSCALL_INSN, ARCH_SYSCALL_INSN_LEN))
		return -EFAULT;
	r = saved;
	arch_set_syscall(&r, pc, nr, args);
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0) {
		ret = -errno;
		goto restore_code;
	}
	for (;;) {
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0) {
			ret = -errno;
			goto restore_code;
		}
		if (wait_tid(tid, &status, __WALL) < 0) {
			ret = -errno;
			goto restore_code;
		}
		if (!WIFSTOPPED(status)) {
			/* the thread died under us */
			return -ESRCH;
		}
		if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0) {
			if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0) {
				ret = -errno;
				goto restore_code;
			}
			if (ARCH_PC(&r) == pc + ARCH_SYSCALL_INSN_LEN) {
				ret = (long)ARCH_RETVAL(&r);
				break;
			}
		}
		if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP &&
		    ndeferred < (int)ARRAY_SIZE(deferred))
			deferred[ndeferred++] = WSTOPSIG(status);
	}
	if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0)
		ret = -errno;
restore_code:
	mem_write_code(p, pc, orig, sizeof(orig));
	for (int i = 0; i < ndeferred; i++)
		syscall(SYS_tgkill, p->pid, tid, deferred[i]);
	restop_tid(tid);
	return ret;
}
