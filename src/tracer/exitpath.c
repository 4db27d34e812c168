/*
 * exitpath: what leakcheck does on a process's way out, so that the exit
 * scan (exitscan.c) sees the roots valgrind sees.
 *
 * At exit()'s entry: the stack below sp is dead (main's frame if main
 * returned, every frame the program left before calling exit), and the
 * exit path's frames (exit, __run_exit_handlers, _exit) are about to be
 * made over it.  Those frames are live at the exit_group stop, where the
 * scan starts at sp; their slots that the exit path never writes would
 * still hold the dead frames' words: a pointer a callee of main saved
 * there (a callee-saved register holding a list's head, say) made a lost
 * list "still reachable".  valgrind does not see such words: memcheck
 * marks a new frame undefined and its leak scan reads only defined
 * words.  Here the dead stack is cleared instead, DEAD_CLEAR bytes below
 * sp within the stack's mapping; nothing the ABI lets the program read
 * lives there (a caller's red zone does not survive its call).
 *
 * The same before main: __libc_start_main runs the executable's
 * constructors, calls _dl_audit_preinit, then __libc_start_call_main,
 * whose frame (live until exit) is made over the constructors' dead
 * frames and leaves most of its cancellation buffer unwritten: a list a
 * constructor built and dropped was "still reachable" one run in eight
 * (as the stack's random offset put its head in one of those words).
 * So the dead stack is cleared at _dl_audit_preinit's entry too.
 *
 * At _exit: freeres.  At the program's _exit, let libstdc++ and glibc free
 * their own memory, as valgrind does by default (--run-cxx-freeres=yes,
 * --run-libc-freeres=yes), so that what they keep until the process dies
 * is not reported as the program's: stdio buffers (the 4,096 bytes of
 * every program that printed), setenv's arrays, glibc's cache of thread
 * stacks with their DTVs, libstdc++'s emergency exception pool.
 *
 * Protocol, on the thread T that called _exit, stopped at our breakpoint
 * on its entry (every atexit handler and destructor has run; _IO_cleanup
 * has flushed stdio):
 *
 *   1. every other thread of the process is stopped and stays stopped:
 *      it must not run on while glibc frees what it may be using, and it
 *      is about to be killed by exit_group anyway (valgrind kills them
 *      first).  Their registers are kept for the exit scan
 *      (thread.held_regs): the kill may come before the scan reads them.
 *   2. for each freeres function: a call made by hand, with its return
 *      address the _exit entry itself (our breakpoint), written below T's
 *      red zone with sp 16-byte aligned at the callee's entry; T runs,
 *      its allocator calls recorded as usual, until the breakpoint traps
 *      with sp just above that return address.
 *   3. T's registers as they were at the _exit entry, set before the exit
 *      scan reads them (its stack is a root from that sp); the caller resumes
 *      it through the breakpoint as for any other hit.
 *
 * Not in a vfork child (it shares the parent's memory), not twice in one
 * image, and not past FREERES_STALL_NS without an event from T (a lock
 * held by a stopped thread would deadlock it): then T is interrupted and
 * put back at the _exit entry, and the report says nothing of it but a
 * warning.  A program killed by a signal never reaches _exit: valgrind
 * does not run freeres then either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/util.h"

enum freeres_state {
	FR_NONE = 0, /* not run in this image */
	FR_RUNNING,  /* a freeres call is in progress */
	FR_DONE,     /* ran, or could not: never again in this image */
};

/* how much dead stack exit() clears: deeper than the exit path's own
 * frames (about 1 KiB on glibc 2.36), which alone are live at exit_group */
#define DEAD_CLEAR 16384

void exitpath_clear_dead_stack(struct thread *t, const arch_regs_t *regs)
{
	static const uint8_t zero[DEAD_CLEAR];
	taddr_t sp = ARCH_SP(regs), lo = sp - DEAD_CLEAR;
	struct proc *p = t->proc;
	char path[64], *maps, *line;

	if (!(p->flags & PROC_TRACING) || (p->flags & PROC_VFORK_CHILD))
		return;
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	maps = read_file_text(path, NULL);
	for (line = maps; line && *line;) {
		unsigned long long s, e;
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && sp > s &&
		    sp <= e) {
			if (lo < s)
				lo = s;
			mem_write(p->pid, lo, zero, (size_t)(sp - lo));
			break;
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	free(maps);
}

/* no event from the thread for this long: it is stuck */
#define FREERES_STALL_NS (5ull * 1000000000ull)

/* Stop every thread of P but T for good, keeping their registers. */
static void hold_others(struct proc *p, struct thread *t)
{
	proc_stop_all(p, t);
	/* none half-way through a record: the ring is read in order, and
	 * freeres's frees come after what they were writing */
	fast_settle(p, 0);
	for (struct thread *o = threads_of(p, NULL); o; o = threads_of(p, o))
		if (o != t && o->stopped_for_scan &&
		    ptrace(PTRACE_GETREGS, o->tid, 0, &o->held_regs) == 0)
			o->have_held_regs = 1;
}

/* T is stuck in a call: interrupt it.  Returns 0 once it is stopped. */
static int interrupt(struct thread *t)
{
	pid_t tid = t->tid;
	int status;

	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return -errno;
	while (wait_tid(tid, &status, __WALL) == tid) {
		if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		tracer_dispatch(tid, status);
		if (thread_find(tid) != t)
			return -ESRCH;
	}
	return -ESRCH;
}

/*
 * Call FN in T, stopped with registers AT, returning to RET (a
 * breakpoint of ours).  Returns 0 when FN returned, -ESRCH if T is gone,
 * -ETIMEDOUT if it stalled (T is stopped then), another -errno if the
 * call could not be made.
 */
static int call_in(struct thread *t, taddr_t fn, taddr_t ret,
		   const arch_regs_t *at)
{
	struct proc *p = t->proc;
	pid_t tid = t->tid;
	taddr_t sp = arch_call_sp(ARCH_SP(at));
	arch_regs_t r = *at;
	uint64_t last = stats_now_ns();
	long pause_ns = 20000;
	int status;

	if (mem_write(p->pid, sp, &ret, sizeof(ret)))
		return -EFAULT;
	arch_set_call(&r, fn, sp);
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0)
		return -errno;
	task_resume(tid, 0);
	for (;;) {
		/* only T runs: wait for it alone, without blocking, so that
		 * a stall can be told */
		pid_t w = waitpid(tid, &status, __WALL | WNOHANG);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -ESRCH;
		if (w == 0) {
			struct timespec ts = {0, pause_ns};
			if (stats_now_ns() - last > FREERES_STALL_NS)
				return interrupt(t) ? -ESRCH : -ETIMEDOUT;
			nanosleep(&ts, NULL);
			if (pause_ns < 2000000)
				pause_ns *= 2;
			continue;
		}
		last = stats_now_ns();
		pause_ns = 20000;
		if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP &&
		    (status >> 16) == 0 &&
		    ptrace(PTRACE_GETREGS, tid, 0, &r) == 0 &&
		    ARCH_PC(&r) - ARCH_BP_LEN == ret &&
		    ARCH_SP(&r) == sp + sizeof(ret))
			return 0;
		/* its allocator calls, signals, a full ring: as usual */
		tracer_dispatch(tid, status);
		if (thread_find(tid) != t)
			return -ESRCH;
	}
}

/* Returns 0, or -ESRCH if T (and maybe its process) is gone. */
static int freeres_run(struct thread *t, const struct bp *b, arch_regs_t *regs)
{
	static const char *const what[FREERES_N] = {"__gnu_cxx::__freeres",
						    "__libc_freeres"};
	struct proc *p = t->proc;
	const int off[FREERES_N] = {opt.no_cxx_freeres, opt.no_libc_freeres};
	int ret = 0, any = 0;

	if (p->freeres_state != FR_NONE)
		return 0;
	for (int i = 0; i < FREERES_N; i++)
		any |= p->freeres_fn[i] && !off[i];
	p->freeres_state = FR_DONE;
	if (!any)
		return 0;
	p->freeres_state = FR_RUNNING;
	hold_others(p, t);
	for (int i = 0; i < FREERES_N && !ret; i++) {
		if (!p->freeres_fn[i] || off[i])
			continue;
		ret = call_in(t, p->freeres_fn[i], b->addr, regs);
		if (ret == -ESRCH)
			return ret;
		if (ret)
			warning("pid %d: %s did not return (%s); the report "
				"may show memory it would have freed",
				p->pid, what[i],
				ret == -ETIMEDOUT ? "stalled" : strerror(-ret));
	}
	p->freeres_state = FR_DONE;
	/* T as at the _exit entry again before the exit scan reads it: at
	 * the last call's return its sp is below the red zone, and the exit
	 * path's dead frames up to the entry sp (_IO_cleanup's, a
	 * destructor's) would be scanned as its stack */
	if (ptrace(PTRACE_SETREGS, t->tid, 0, regs) < 0)
		return -ESRCH;
	return 0;
}

void exitpath_final(struct thread *t, const struct bp *b, arch_regs_t *regs)
{
	struct proc *p = t->proc;
	int errors;

	/* a vfork child shares its parent's memory: its exit event reports
	 * as before, and nothing is run in it */
	if ((p->flags & PROC_VFORK_CHILD) || !(p->flags & PROC_TRACING) ||
	    (p->flags & PROC_REPORTED))
		return;
	if (freeres_run(t, b, regs))
		return; /* T, and maybe P, are gone */
	/*
	 * The report, here rather than at the exit event, so that a process
	 * with leaks can still be made to exit with --error-exitcode, as
	 * valgrind makes every process it traces: a test run by a test
	 * driver under --trace-children fails as that test.  T ends the
	 * process: its registers are not roots, its stack is from sp.
	 */
	t->in_exit = 1;
	p->exit_code_status = (int)((arch_arg(regs, 0) & 0xff) << 8);
	p->flags |= PROC_REPORTED;
	errors = proc_report(p, t, 0);
	if (errors && opt.error_exitcode && !(p->flags & PROC_ATTACHED))
		arch_set_arg(regs, 0, (unsigned long long)opt.error_exitcode);
}
