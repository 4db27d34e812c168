/*
 * launch: start the program stopped, seize it, and run the event loop.
 *
 * The child restores default signal handling, stops itself with SIGSTOP
 * and, once we have seized it (PTRACE_SEIZE with EXITKILL: if leakcheck
 * dies, so does the program it launched, rather than running on with our
 * breakpoints in it), execs the program.  Its exec stop is where tracing
 * starts (modules.c).
 *
 * The event loop is one waitpid(-1, __WALL).  Stops are dispatched by
 * kind: breakpoint and trampoline traps (hooks.c), clone/fork/vfork/exec/
 * exit events, group-stops (PTRACE_LISTEN, so job control keeps working;
 * when the whole job is stopped, leakcheck stops too: jobctl.c) and
 * signal-delivery stops, whose signal is passed on.
 */
#define _GNU_SOURCE 1 /* sched_getcpu, CPU_SET */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/tracer.h"
#include "leakcheck/util.h"

static pid_t main_pid;
static int main_status = -1;
static volatile sig_atomic_t got_term;

/* Stops of tasks whose creation event we have not seen yet. */
static struct early {
	pid_t tid;
	int status;
} early[256];
static int nearly;

#define TRACE_OPTS                                                             \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |      \
	 PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)

/* T is gone: its stub call and then the thread are forgotten. */
void tracer_thread_free(struct thread *t)
{
	stub_forget(t);
	thread_free(t);
}

/* P is gone, or detached: its guard can go, its fast path is forgotten,
 * then the process. */
void tracer_proc_free(struct proc *p)
{
	guard_done(p);
	fast_forget(p);
	proc_free(p);
}

static volatile sig_atomic_t got_report, got_snapshot, got_tick;

/*
 * A request (SIGUSR1, SIGUSR2, SIGTERM...) sets its flag, which the loop
 * looks at before it blocks in waitpid; only a signal that comes during
 * the waitpid interrupts it.  One that comes after the look -- while the
 * loop handles an event or the request before it, or between the look
 * and the waitpid -- would wait for the program's next event: forever
 * for a program blocked in read(2), as tests/profile.sh's programs are
 * when it asks for a snapshot.  So a request also arms a tick every
 * KICK_US until the loop's next look (loop_kicked), while the loop runs
 * without the 100 ms ticker (kicks_on).
 */
#define KICK_US 10000
static volatile sig_atomic_t kicks_on, kicked;

static void kick(void)
{
	struct itimerval it = {{0, KICK_US}, {0, KICK_US}};
	int saved = errno;

	if (kicks_on && !kicked) {
		kicked = 1;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	errno = saved;
}

/* At the top of the loop, before the flags are looked at: the kick's
 * ticks are no longer needed (a request that comes after this arms them
 * again). */
static void loop_kicked(void)
{
	struct itimerval off = {{0, 0}, {0, 0}};

	if (!kicked)
		return;
	setitimer(ITIMER_REAL, &off, NULL);
	kicked = 0;
}

static void on_term(int sig)
{
	got_term = sig;
	kick();
}

static void on_report_signal(int sig)
{
	got_report = 1;
	kick();
}

static void on_snapshot_signal(int sig)
{
	got_snapshot = 1;
	kick();
}

static void on_tick(int sig)
{
	got_tick = 1;
}

/* Our signal handlers, set before the first breakpoint goes in: a request
 * (USR1, USR2) that comes while we start or attach waits for the loop
 * instead of killing us, and with ATTACHED a Ctrl-C detaches cleanly. */
void tracer_signals(int attached)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_report_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_snapshot_signal;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_tick;
	sigaction(SIGALRM, &sa, NULL);
	jobctl_signals();
	if (attached) {
		sa.sa_handler = on_term;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
}

/* One line saying why ptrace was refused, and what to do. */
/*
 * --same-cpu: a trap is a hand-off, the program stops and leakcheck wakes,
 * then the reverse.  On one CPU each is a plain context switch; across two
 * it is a wake-up of another CPU, often idle.  Pinning leakcheck alone does
 * not bring the program over.  bench/alloc, 100k pairs, 2 CPUs, 4 runs
 * each: both on one CPU 6.71-6.76 s, leakcheck alone pinned 9.28-9.46 s,
 * neither 9.37-9.55 s.  With threads the tracer is rarely idle (a stop is
 * waiting when it finishes one) and the program loses its second CPU:
 * bench/threads4, one CPU 22.8-23.8 s, free 22.1-22.4 s.  So a launched
 * program and leakcheck share the CPU leakcheck is on while the program
 * has a single thread; at its first clone or fork every thread gets the
 * original mask back.  The one thing the program can see: sched_getaffinity
 * (nproc) says one CPU until then.  Attached services are left alone.
 */
static cpu_set_t orig_mask;

static void same_cpu_start(struct proc *p)
{
	cpu_set_t one;
	int cpu;

	if (opt.no_same_cpu ||
	    sched_getaffinity(0, sizeof(orig_mask), &orig_mask) ||
	    CPU_COUNT(&orig_mask) < 2 || (cpu = sched_getcpu()) < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) ||
	    sched_setaffinity(p->pid, sizeof(one), &one))
		return;
	p->flags |= PROC_SAME_CPU;
	debug("pid %d and leakcheck on CPU %d", p->pid, cpu);
}

/* P has a second thread, NEW: give every thread the original mask. */
static void same_cpu_end(struct proc *p, pid_t new)
{
	if (!(p->flags & PROC_SAME_CPU))
		return;
	p->flags &= ~PROC_SAME_CPU;
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t))
		sched_setaffinity(t->tid, sizeof(orig_mask), &orig_mask);
	sched_setaffinity(new, sizeof(orig_mask), &orig_mask);
	debug("pid %d has threads: back on its own CPUs", p->pid);
}

void tracer_explain_ptrace_error(int err, const char *what, pid_t pid)
{
	char *scope =
	    read_file_text("/proc/sys/kernel/yama/ptrace_scope", NULL);
	char *status = read_file_text("/proc/self/status", NULL);
	const char *seccomp = status ? strstr(status, "\nSeccomp:") : NULL;
	char path[64], *tstatus, *tracer;
	long tracer_pid = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	tstatus = read_file_text(path, NULL);
	tracer = tstatus ? strstr(tstatus, "\nTracerPid:") : NULL;
	if (tracer)
		tracer_pid = atol(tracer + 11);
	free(tstatus);
	if (tracer_pid > 0) {
		char comm[64] = "?";
		char *c;
		snprintf(path, sizeof(path), "/proc/%ld/comm", tracer_pid);
		c = read_file_text(path, NULL);
		if (c) {
			snprintf(comm, sizeof(comm), "%.*s",
				 (int)strcspn(c, "\n"), c);
			free(c);
		}
		error(
		    "cannot trace %s: it is already traced by pid %ld (%s); "
		    "a process has one tracer at a time: detach that one first",
		    what, tracer_pid, comm);
	} else if (scope && atoi(scope) >= 3)
		error("cannot trace %s: ptrace is disabled on this system "
		      "(kernel.yama.ptrace_scope=3, needs a reboot to lower)",
		      what);
	else if (seccomp && atoi(seccomp + 9) > 0 && err == EPERM)
		error("cannot trace %s: ptrace is blocked by a seccomp filter; "
		      "in a container, run it with --cap-add=SYS_PTRACE or "
		      "--security-opt seccomp=unconfined",
		      what);
	else if (err == EPERM)
		error("cannot trace %s: ptrace not permitted (%s); in a "
		      "container, add CAP_SYS_PTRACE",
		      what, strerror(err));
	else
		error("cannot trace %s: %s", what, strerror(err));
	free(scope);
	free(status);
}

static struct thread *adopt(pid_t tid, struct proc *p)
{
	struct thread *t = thread_new(p, tid);
	for (int i = 0; i < nearly; i++) {
		if (early[i].tid == tid) {
			/* its first stop came before its creation event */
			early[i] = early[--nearly];
			t->state = TS_RUNNING;
			task_resume(tid, 0);
			break;
		}
	}
	return t;
}

static void on_new_task(struct thread *t, int event)
{
	unsigned long msg = 0;
	struct proc *p = t->proc, *np;
	pid_t nt;

	ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg);
	nt = (pid_t)msg;
	if (event == PTRACE_EVENT_CLONE) {
		same_cpu_end(p, nt);
		adopt(nt, p);
		return;
	}
	/* fork or vfork: a new process, a copy of this one */
	hook_harvest(p); /* the child starts from what returned before */
	np = proc_new(nt);
	same_cpu_end(p, nt); /* two processes now: let them spread */
	np->flags = p->flags & PROC_TRACING;
	if (event == PTRACE_EVENT_VFORK)
		np->flags |= PROC_VFORK_CHILD;
	heap_table_copy(&np->heap, &p->heap);
	heap_table_copy(&np->custom_heap, &p->custom_heap);
	heap_table_copy(&np->mi_owner, &p->mi_owner);
	/* how the blocks from before an attach were found: the child's
	 * memory is a copy, jemalloc's state where it was */
	np->je_root = p->je_root;
	np->je_tls_off = p->je_tls_off;
	np->je_tls_size = p->je_tls_size;
	for (size_t i = 0; i < p->npools; i++) {
		struct vg_pool pl = p->pools[i];
		pl.chunks = xmalloc((pl.n + 1) * sizeof(*pl.chunks));
		memcpy(pl.chunks, p->pools[i].chunks,
		       pl.n * sizeof(*pl.chunks));
		pl.cap = pl.n + 1;
		np->pools = xgrow(np->pools, &np->pools_cap, np->npools + 1,
				  sizeof(*np->pools));
		np->pools[np->npools++] = pl;
	}
	np->bps = xmalloc(p->nbps * sizeof(*p->bps) + 1);
	memcpy(np->bps, p->bps, p->nbps * sizeof(*p->bps));
	np->nbps = np->bps_cap = p->nbps;
	np->page = p->page;
	np->nslots = p->nslots;
	np->nbptab = p->nbptab;
	bp_copy_ret_slots(np, p);
	/* its own copy of the stubs' page, unless shared (vfork) */
	np->data = event == PTRACE_EVENT_VFORK ? 0 : p->data;
	np->nstubs = p->nstubs;
	np->flags |= p->flags & PROC_ATTACHED;
	np->handler_installed = p->handler_installed;
	np->r_debug = p->r_debug;
	np->ldso_base = p->ldso_base;
	memcpy(np->bound, p->bound, sizeof(np->bound));
	np->decl_bound = p->decl_bound;
	/* what only the parent learnt: glibc's and libstdc++'s freeres
	 * (the child runs them at its _exit, as valgrind's child does), and,
	 * attached, the heap walk's index and whether the heap from before
	 * the attach is unknown (then scanned as roots in the child too) */
	memcpy(np->freeres_fn, p->freeres_fn, sizeof(np->freeres_fn));
	np->freeres_state = p->freeres_state;
	if (p->npre) {
		np->pre = xmalloc(p->npre * sizeof(*np->pre));
		memcpy(np->pre, p->pre, p->npre * sizeof(*np->pre));
		np->npre = p->npre;
	}
	np->pre_unknown = p->pre_unknown;
	np->seen_modules = p->seen_modules ? xstrdup(p->seen_modules) : NULL;
	np->maps_text = p->maps_text ? xstrdup(p->maps_text) : NULL;
	np->command = p->command ? xstrdup(p->command) : NULL;
	np->unw = unwind_new(nt);
	np->no_fast = p->no_fast;
	fast_fork(p, np, event == PTRACE_EVENT_VFORK);
	if (np->flags & PROC_ATTACHED)
		if (guard_start(np) >
		    0) /* after its bps and slots are copied */
			bp_guard_all(np);
	{
		struct thread *ct = adopt(nt, np);
		/* the child is a copy of this thread: same pending returns */
		if (t->npend) {
			ct->pend = xmalloc(t->npend * sizeof(*t->pend));
			memcpy(ct->pend, t->pend, t->npend * sizeof(*t->pend));
			ct->npend = ct->pend_cap = t->npend;
		}
		ct->stub = np->data ? t->stub : -1;
		if (t->stub_busy && np->data)
			stub_busy_add(ct->proc,
				      ct); /* a call still on its way back */
		else
			for (size_t i = 0; i < ct->npend; i++)
				ct->pend[i].via_stub = 0;
	}
}

static void on_exec(struct thread *t)
{
	struct proc *p = t->proc;
	unsigned long former = 0;
	int first = !(p->flags & PROC_TRACING);
	int ret;

	ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &former);
	/* every other thread is gone; the leader (pid) carries on */
	for (struct thread *o = threads_of(p, NULL), *nx; o; o = nx) {
		nx = threads_of(p, o);
		if (o != t)
			tracer_thread_free(o);
	}
	if (t->tid != p->pid) {
		/* a non-leader exec'd: it now has the leader's tid */
		struct thread *nt = thread_new(p, p->pid);
		nt->state = TS_RUNNING;
		tracer_thread_free(t);
		t = nt;
	}
	if (!first && !opt.trace_children) {
		/* not following exec: let the new program run untouched; say
		 * so, as a wrapper (a pyenv shim, a launcher script) that
		 * execs the real program at once would otherwise look like a
		 * clean run of it */
		if (!opt.quiet && p->pid == main_pid) {
			/* (the program leakcheck ran: a forked child that
			 * execs, as every shell pipeline does, goes quietly) */
			char exe[PATH_MAX];
			long n = proc_exe(p->pid, exe, sizeof(exe));
			fprintf(
			    stderr,
			    "leakcheck: pid %d exec'd %s: not followed, its "
			    "allocations are not checked "
			    "(--trace-children=yes follows it)\n",
			    p->pid, n > 0 ? exe : "a new program");
		}
		debug("pid %d exec'd; detaching", p->pid);
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
		tracer_thread_free(t);
		tracer_proc_free(p);
		return;
	}
	p->flags |= PROC_TRACING;
	/* a vfork child that execs has memory of its own from now on: the
	 * fast path, freeres and the report at _exit are its too */
	p->flags &= ~(PROC_REPORTED | PROC_VFORK_CHILD);
	{
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/cmdline", p->pid);
		free(p->command);
		p->command = read_file_text(path, NULL);
	}
	ret = modules_start(p, t->tid);
	if (ret)
		warning("pid %d: cannot set breakpoints after exec: %s; "
			"its allocations are not tracked",
			p->pid, strerror(-ret));
	else if (p->flags & PROC_ATTACHED)
		bp_install_handler(p, t->tid);
	task_resume(t->tid, 0);
}

/*
 * Is a thread of P other than T in execve?  A thread that execs kills
 * the others (de_thread), and each stops at its exit event before the
 * exec can go on: that is not the process ending (there is no report of
 * the old image, as in valgrind), and scanning there would wait forever
 * for the exec'ing thread, which de_thread holds until they are gone.
 */
static int exec_in_progress(struct proc *p, struct thread *t)
{
	for (struct thread *o = threads_of(p, NULL); o; o = threads_of(p, o)) {
		char path[64], *text;
		long nr;
		if (o == t)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", p->pid,
			 o->tid);
		text = read_file_text(path, NULL);
		nr = text && sscanf(text, "%ld", &nr) == 1 ? nr : -1;
		free(text);
		if (nr == SYS_execve || nr == SYS_execveat)
			return 1;
	}
	return 0;
}

static void on_exit_event(struct thread *t)
{
	struct proc *p = t->proc;
	unsigned long msg = 0;
	arch_regs_t r;
	int group;

	ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg);
	t->state = TS_EXITING;
	hook_harvest(p);
	fast_thread_gone(t);
	stub_forget(t);
	t->npend = 0;
	/* the whole process is going (exit_group, a fatal signal, the last
	 * thread's exit) unless this is one thread's own exit */
	group = p->nthreads <= 1;
	if (!group && ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0)
		group = ARCH_SYSCALL_NR(&r) != SYS_exit;
	if (group && p->nthreads > 1 && exec_in_progress(p, t))
		group = 0;
	debug("pid %d: exit event, status %#lx%s", t->tid, msg,
	      group ? ", process exit" : "");
	if (group && (p->flags & PROC_TRACING) && !(p->flags & PROC_REPORTED)) {
		p->exit_code_status = (int)msg;
		p->flags |= PROC_REPORTED;
		proc_report(p, t, 0);
	}
	task_resume(t->tid, 0);
}

static void on_gone(pid_t tid, int status)
{
	struct thread *t = thread_find(tid);
	struct proc *p;

	if (tid == main_pid)
		main_status = status;
	if (!t)
		return;
	p = t->proc;
	tracer_thread_free(t);
	if (tid == p->pid && (p->flags & PROC_TRACING) &&
	    !(p->flags & PROC_REPORTED)) {
		/* died without an exit stop: SIGKILL */
		p->flags |= PROC_REPORTED;
		proc_report(p, NULL, 1);
	}
	if (p->nthreads == 0)
		tracer_proc_free(p);
}

static void tracer_entry(struct thread *t, struct bp *b, arch_regs_t *regs);

static void on_trap(struct thread *t)
{
	struct proc *p = t->proc;
	arch_regs_t r;
	struct bp *b;
	taddr_t pc;

	if (p->handler_installed)
		bp_keep_handler(t); /* before anything can resume it */
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0) {
		task_resume(t->tid, 0);
		return;
	}
	g_stats.traps++;
	if (p->nbusy)
		hook_harvest(p); /* before this trap: they returned earlier */
	pc = ARCH_PC(&r) - ARCH_BP_LEN;
	if (p->fast || p->fast_owner) {
		/* the records before this trap first (fast.c) */
		if (fast_trap(t, &r, pc))
			return;
		fast_drain(p, 0);
	}
	if (p->page && pc >= p->page + INJ_RET) {
		taddr_t ret;
		if (bp_ret_slot_target(p, pc, &ret)) {
			/* it goes on to the jmp to RET: nothing to set */
			hook_return(t, &r);
			task_resume(t->tid, 0);
			return;
		}
	}
	if (p->page && pc == p->page + INJ_TRAMP) {
		hook_return(t, &r);
		ptrace(PTRACE_SETREGS, t->tid, 0, &r);
		task_resume(t->tid, 0);
		return;
	}
	b = bp_find(p, pc);
	if (!b) {
		/* a SIGTRAP of the program's own */
		debug("pid %d: SIGTRAP at %#llx is not ours", t->tid,
		      (unsigned long long)ARCH_PC(&r));
		g_stats.signals++;
		task_resume(t->tid, SIGTRAP);
		return;
	}
	if (log_verbose >= 3)
		debug("pid %d: %s", t->tid, b->name);
	{
		/* by value: a handler may insert breakpoints (dlopen) */
		struct bp hit = *b;
		pid_t tid = t->tid;
		size_t npend = t->npend;
		tracer_entry(t, &hit, &r);
		if (thread_find(tid) != t)
			return; /* it ran, and died (exitpath.c) */
		if (t->npend > npend)
			fast_mark_busy(t, &r);
		ARCH_PC(&r) = hit.resume;
	}
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	task_resume(t->tid, 0);
}

/* Handle one wait status of TID. */
void tracer_dispatch(pid_t tid, int status);
void tracer_dispatch(pid_t tid, int status)
{
	struct thread *t;
	int sig, event;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		on_gone(tid, status);
		jobctl_changed();
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	t = thread_find(tid);
	if (!t) {
		if (nearly < (int)ARRAY_SIZE(early)) {
			early[nearly].tid = tid;
			early[nearly++].status = status;
		} else {
			task_resume(tid, 0);
		}
		return;
	}
	sig = WSTOPSIG(status);
	event = status >> 16;
	if (t->state == TS_NEW) {
		/* the first stop of a new task */
		t->state = TS_RUNNING;
		if (event == PTRACE_EVENT_STOP || sig == SIGSTOP) {
			task_resume(tid, 0);
			return;
		}
	}
	t->listening = 0;
	switch (event) {
	case 0:
		if (sig == SIGTRAP) {
			on_trap(t);
		} else {
			g_stats.signals++;
			t->last_sig = sig;
			debug("pid %d: signal %d", tid, sig);
			tracer_deliver(t, sig);
		}
		break;
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		on_new_task(t, event);
		task_resume(tid, 0);
		break;
	case PTRACE_EVENT_EXEC:
		on_exec(t);
		break;
	case PTRACE_EVENT_EXIT:
		on_exit_event(t);
		break;
	case PTRACE_EVENT_STOP:
		if (is_group_stop_sig(sig)) {
			/* group-stop: stay stopped, but keep reporting */
			t->listening = 1;
			ptrace(PTRACE_LISTEN, tid, 0, 0);
			jobctl_group_stop(t, sig);
		} else {
			task_resume(tid, 0);
		}
		break;
	default:
		task_resume(tid, 0);
		break;
	}
}

/* T is at breakpoint B's entry (bp_events.entry): the run's own hooks
 * (the module list, the exit path) here, the allocator's in alloc/. */
static void tracer_entry(struct thread *t, struct bp *b, arch_regs_t *regs)
{
	switch (b->kind) {
	case HOOK_DL_DEBUG:
	case HOOK_CLEAR_DEAD:
	case HOOK_EXIT_FINAL:
	case HOOK_CLIENT_REQUEST:
		break;
	default:
		hook_entry(t, b, regs);
		return;
	}
	g_alloc_stats.entry_traps++;
	ARCH_PC(regs) = b->addr;
	t->last_sp = ARCH_SP(regs);
	if (b->kind == HOOK_DL_DEBUG)
		modules_update(t->proc, t->tid);
	else if (b->kind == HOOK_CLIENT_REQUEST)
		hook_client_request(t, b, regs);
	else if (b->kind == HOOK_CLEAR_DEAD)
		exitpath_clear_dead_stack(t, regs);
	else
		exitpath_final(t, b, regs);
}

static const struct bp_events tracer_bp_events = {
    .entry = tracer_entry,
    .fast_call = hook_fast_call,
    .fast_free = hook_fast_free,
};

/* The start of a run: the layers below are given the run loop's
 * handlers, the depot is made, and our signal handlers go in. */
void tracer_begin(int attached)
{
	task_set_dispatch(tracer_dispatch);
	bp_set_events(&tracer_bp_events);
	stack_depot_init(&g_depot);
	tracer_signals(attached);
}

int tracer_launch(const char *path, char *const argv[],
		  struct trace_result *res)
{
	int status, errpipe[2], err = 0;
	pid_t pid;
	struct proc *p;
	struct sigaction sa;

	tracer_begin(0);
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		error("cannot create a pipe: %s", strerror(errno));
		return LC_EXIT_INTERNAL;
	}
	pid = fork();
	if (pid < 0) {
		error("cannot fork: %s", strerror(errno));
		return LC_EXIT_INTERNAL;
	}
	if (pid == 0) {
		close(errpipe[0]);
		raise(SIGSTOP);
		execv(path, argv);
		err = errno;
		if (write(errpipe[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errpipe[1]);
	main_pid = pid;
	if (waitpid(pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status)) {
		error("cannot start '%s': it did not stop as expected", path);
		return LC_EXIT_INTERNAL;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0,
		   (void *)(long)(TRACE_OPTS | PTRACE_O_EXITKILL)) < 0) {
		int e = errno;
		tracer_explain_ptrace_error(e, path, pid);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return LC_EXIT_PTRACE;
	}
	p = proc_new(pid);
	p->flags = PROC_MAIN;
	thread_new(p, pid)->state = TS_NEW;
	same_cpu_start(p);

	/* Ctrl-C and Ctrl-\ are for the program; we report when it dies.
	 * SIGTERM/SIGHUP to us are passed on to it (and SIGCONT if it is
	 * stopped); Ctrl-Z's SIGTSTP too is its own (jobctl.c). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	kill(pid, SIGCONT);
	tracer_loop(0);
	/* did exec fail? */
	if (read(errpipe[0], &err, sizeof(err)) == (ssize_t)sizeof(err)) {
		close(errpipe[0]);
		error("cannot run '%s': %s", path, strerror(err));
		return err == ENOENT ? LC_EXIT_NOTFOUND : LC_EXIT_NOEXEC;
	}
	close(errpipe[0]);
	res->status = main_status;
	res->errors = tracer_total_errors();
	tracer_print_stats();
	stack_depot_release(&g_depot);
	return 0;
}

/* An on-demand report of every traced process, with the pause it cost. */
static void report_all(const char *why)
{
	if (opt.heap_profile || opt.folded_file || opt.flamegraph)
		g_report_seq = snapshot_next_seq();
	for (struct proc *p = proc_list(), *nx; p; p = nx) {
		double t0, t1;
		nx = p->next;
		if (!(p->flags & PROC_TRACING) || (p->flags & PROC_REPORTED))
			continue;
		t0 = now_seconds();
		proc_report(p, NULL, 0);
		t1 = now_seconds();
		if (!opt.quiet)
			fprintf(stderr,
				"leakcheck: pid %d: %s report; the program was "
				"stopped for %.1f ms\n",
				p->pid, why, (t1 - t0) * 1e3);
	}
	g_report_seq = 0;
}

/*
 * The event loop: waitpid(-1, __WALL) until every tracee is gone, with
 * on-demand reports (SIGUSR1, --interval), heap-profile snapshots
 * (SIGUSR2, --heap-profile-interval) and, when ATTACHED, a detach on
 * SIGINT/SIGTERM/SIGHUP or at the end of --duration.  A 100 ms ticker
 * interrupts waitpid so a request never waits for the program's next
 * event.
 */
void tracer_loop(int attached)
{
	double start = now_seconds(), next_report = 0, deadline = 0;
	double next_snap = 0;
	int status;

	tracer_signals(attached);
	if (opt.interval)
		next_report = start + opt.interval;
	if (opt.heap_profile_interval)
		next_snap = start + opt.heap_profile_interval;
	if (attached && opt.duration)
		deadline = start + opt.duration;
	if (attached || opt.interval || opt.heap_profile_interval) {
		struct itimerval it = {{0, 100000}, {0, 100000}};
		setitimer(ITIMER_REAL, &it, NULL);
	} else {
		kicks_on = 1;
	}
	if (attached && opt.once && !opt.duration) {
		tracer_detach_all("final");
		return;
	}
	for (;;) {
		double now =
		    next_report || next_snap || deadline ? now_seconds() : 0;
		pid_t tid;

		loop_kicked();
		if (attached && (got_term || (deadline && now >= deadline))) {
			tracer_detach_all("final");
			break;
		}
		if (!attached && got_term) {
			/* passed on (SIGTERM, SIGHUP); CONT if stopped */
			if (main_status < 0)
				jobctl_kill(main_pid, got_term);
			got_term = 0;
		}
		if (got_report) {
			got_report = 0;
			report_all("on-demand");
		}
		if (next_report && now >= next_report) {
			report_all("periodic");
			while (next_report <= now)
				next_report += opt.interval;
		}
		if (got_snapshot) {
			got_snapshot = 0;
			tracer_snapshot_all("on-demand");
		}
		if (next_snap && now >= next_snap) {
			tracer_snapshot_all("periodic");
			while (next_snap <= now)
				next_snap += opt.heap_profile_interval;
		}
		got_tick = 0;
		tid = 0;
		if (jobctl_want_stop()) {
			/* the job stopped (jobctl.c): once every stop is in */
			tid = waitpid(-1, &status, __WALL | WNOHANG);
			if (!tid) {
				jobctl_stop();
				continue;
			}
		}
		if (!tid)
			tid = ringpoll_wait(&status);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: everyone is gone */
		}
		tracer_dispatch(tid, status);
	}
	{
		struct itimerval it = {{0, 0}, {0, 0}};
		kicks_on = 0;
		kicked = 0;
		setitimer(ITIMER_REAL, &it, NULL);
	}
}
