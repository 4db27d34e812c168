/*
 * attach: trace a process that is already running (--pid), and leave it
 * as we found it.
 *
 * Attach: PTRACE_SEIZE every thread in /proc/PID/task (again until no new
 * one appears: threads may be created meanwhile; later ones are followed
 * through PTRACE_EVENT_CLONE), PTRACE_INTERRUPT them all, and with every
 * thread stopped map the out-of-line page, put the breakpoints in every
 * loaded module (modules_attach) and walk glibc's heap for the blocks
 * that are already live (heapwalk.c).  Then resume them and run the event
 * loop.  A thread stopped by a signal on its way meanwhile gets that
 * signal when resumed.
 *
 * Detach: stop every thread again, and take out every trace of us: a
 * thread whose pc is in the out-of-line page (a displaced instruction
 * about to run, or a return trampoline about to trap) is moved to where
 * the original code would be; every replaced return address goes back on
 * its stack; the original bytes go back under every int3; the page is
 * unmapped; then PTRACE_DETACH, passing on any signal we held.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/tracer.h"
#include "leakcheck/util.h"

#define TRACE_OPTS                                                             \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |      \
	 PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)

/* The field NAME ("State:", "Uid:") of /proc/PID/status, or NULL. */
static char *status_field(pid_t pid, const char *name)
{
	char path[64], *text, *line, *val = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	text = read_file_text(path, NULL);
	if (!text)
		return NULL;
	for (line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, name, strlen(name))) {
			const char *v = line + strlen(name);
			v += strspn(v, " \t");
			val = xasprintf("%.*s", (int)strcspn(v, "\n"), v);
			break;
		}
	}
	free(text);
	return val;
}

/* Exits with one line unless PID can be attached to, as far as we can
 * tell before trying: it exists, is not a zombie, is 64-bit x86-64. */
static void check_target(pid_t pid)
{
	char path[64], *state, *uid;
	unsigned char hdr[64];
	int fd;

	if (pid == getpid())
		die(LC_EXIT_USAGE, "pid %d is leakcheck itself", pid);
	if (kill(pid, 0) < 0 && errno == ESRCH)
		die(LC_EXIT_NOPID, "no process with pid %d", pid);
	state = status_field(pid, "State:");
	if (!state)
		die(LC_EXIT_NOPID, "no process with pid %d", pid);
	if (state[0] == 'Z' || state[0] == 'X')
		die(LC_EXIT_NOPID,
		    "pid %d is a zombie: it has exited and waits for its "
		    "parent to reap it; there is nothing left to check",
		    pid);
	free(state);
	uid = status_field(pid, "Uid:");
	if (uid && geteuid() != 0 && (uid_t)atol(uid) != geteuid())
		die(LC_EXIT_PTRACE,
		    "cannot trace pid %d: it belongs to uid %ld and you are "
		    "uid %ld; run leakcheck as that user, or as root",
		    pid, atol(uid), (long)geteuid());
	free(uid);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* ptrace will say why */
	if (read(fd, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) &&
	    !memcmp(hdr, ELFMAG, SELFMAG)) {
		Elf64_Ehdr eh;
		memcpy(&eh, hdr, sizeof(eh));
		if (hdr[EI_CLASS] != ELFCLASS64)
			die(LC_EXIT_BADARCH,
			    "pid %d runs a 32-bit program; leakcheck supports "
			    "64-bit x86-64 programs only",
			    pid);
		if (eh.e_machine != EM_X86_64)
			die(LC_EXIT_BADARCH,
			    "pid %d is not an x86-64 program (ELF machine %u)",
			    pid, eh.e_machine);
	}
	close(fd);
}

/* Seize every thread of P not seized yet; returns how many were new, or
 * -errno for the first refusal. */
static int seize_threads(struct proc *p)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		struct thread *t;
		if (tid <= 0 || thread_find(tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)TRACE_OPTS) <
		    0) {
			int e = errno;
			if (e == ESRCH)
				continue; /* it just exited */
			closedir(d);
			return -e;
		}
		t = thread_new(p, tid);
		t->state = TS_RUNNING;
		n++;
	}
	closedir(d);
	return n;
}

/* Stop every thread of P where we can look at it.  A signal-delivery stop
 * on the way keeps its signal for the resume. */
static void interrupt_all(struct proc *p)
{
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		int status;
		if (t->stopped_for_scan)
			continue;
		ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
		for (;;) {
			if (wait_tid(t->tid, &status, __WALL) < 0 ||
			    !WIFSTOPPED(status)) {
				t->state = TS_EXITING;
				break;
			}
			if ((status >> 16) == PTRACE_EVENT_STOP) {
				t->listening =
				    is_group_stop_sig(WSTOPSIG(status));
				t->stopped_for_scan = 1;
				break;
			}
			if ((status >> 16) == 0) {
				/* a signal for the program: hold it */
				t->pending_sig = WSTOPSIG(status);
				t->stopped_for_scan = 1;
				break;
			}
			/* an event before tracing is set up (clone, exec,
			 * exit...): let it go on to the interrupt stop */
			ptrace(PTRACE_CONT, t->tid, 0, 0);
		}
	}
}

static char *read_cmdline(pid_t pid)
{
	char path[64], *text;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	text = xcalloc(1, 4097); /* argv[0] only: the NULs end it */
	if (read(fd, text, 4096) < 0)
		text[0] = 0;
	close(fd);
	return text;
}

/*
 * Attach to PID, set up (guard, drain, leftovers, breakpoints, the heap
 * walk) and resume it.  Returns 0, or an LC_EXIT_* code after one line
 * (P's threads let go); with GONE_OK a process that is gone meanwhile
 * (a descendant that exited) is 0, quietly.
 */
static int attach_one(pid_t pid, int gone_ok)
{
	struct proc *p;
	struct thread *t0;
	char what[64];
	int n, ret, rounds = 0;

	leftover_wait(pid);
	p = proc_new(pid);
	p->flags = PROC_ATTACHED;
	snprintf(what, sizeof(what), "pid %d", pid);
	do {
		n = seize_threads(p);
		if (n < 0) {
			/* let go of the threads seized so far */
			for (struct thread *t = threads_of(p, NULL); t;
			     t = threads_of(p, t))
				ptrace(PTRACE_DETACH, t->tid, 0, 0);
			while (threads_of(p, NULL))
				thread_free(threads_of(p, NULL));
			proc_free(p);
			if (-n == ESRCH && gone_ok)
				return 0;
			tracer_explain_ptrace_error(-n, what, pid);
			return -n == ESRCH ? LC_EXIT_NOPID : LC_EXIT_PTRACE;
		}
	} while (n > 0 && ++rounds < 100);
	if (!p->nthreads) {
		proc_free(p);
		if (gone_ok)
			return 0;
		error("no process with pid %d", pid);
		return LC_EXIT_NOPID;
	}
	interrupt_all(p);
	/* threads created before we had them all stopped */
	while (seize_threads(p) > 0 && ++rounds < 200)
		interrupt_all(p);

	t0 = thread_find(pid);
	if (!t0 || !t0->stopped_for_scan)
		t0 = threads_of(p, NULL);
	p->command = read_cmdline(pid);
	if (!p->unw)
		p->unw = unwind_new(pid);
	if ((ret = guard_start(p)) > 0)
		bp_guard_all(p);
	else if (ret < 0)
		warning("pid %d: no guard process (%s): if leakcheck is "
			"killed with SIGKILL, the program may die at its next "
			"allocation",
			pid, strerror(-ret));
	/* no thread in the middle of malloc while the heap is walked */
	drain_allocator(p);
	/* what a leakcheck killed before us left, out (or kept in use) */
	leftover_take(p, t0->tid);
	p->all_stopped = 1; /* entry points may take a 5-byte jmp */
	ret = modules_attach(p, t0->tid);
	p->all_stopped = 0;
	if (ret) {
		if (ret == -EEXIST)
			error(
			    "pid %d already has a breakpoint on its allocator "
			    "(a debugger's, or left by a leakcheck that was "
			    "killed without its guard); detaching: restart "
			    "the program to check it",
			    pid);
		else
			error("cannot set breakpoints in pid %d: %s; detaching",
			      pid, strerror(-ret));
		p->flags |= PROC_TRACING | PROC_REPORTED;
		return LC_EXIT_INTERNAL;
	}
	p->flags |= PROC_TRACING;
	/* every thread is stopped: none can meet an int3 before this */
	if ((ret = bp_install_handler(p, t0->tid)) && ret != -EBUSY)
		debug("pid %d: no SIGTRAP handler: %s", pid, strerror(-ret));
	heap_walk(p);
	hook_index_pre_blocks(p);
	if (!opt.quiet)
		fprintf(stderr,
			"leakcheck: attached to pid %d (%s), %d threads, %zu "
			"blocks live before attach; kill -USR1 %d for a "
			"report, Ctrl-C to detach\n",
			pid, p->command ? p->command : "?", p->nthreads,
			p->heap.count, (int)getpid());
	proc_resume_all(p);
	return 0;
}

/* The parent pid of PID from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], *text, *close_paren;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	text = read_file_text(path, NULL);
	if (!text)
		return -1;
	/* "pid (comm) state ppid ...": comm may hold ')' */
	close_paren = strrchr(text, ')');
	if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		ppid = -1;
	free(text);
	return ppid;
}

/* Append to *V (*N, capacity *CAP) every process descended from ROOT
 * that is not in it yet, a parent before its children; zombies have
 * nothing to check and are left out. */
static void add_descendants(pid_t root, int **v, size_t *n, size_t *cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t *all = NULL, *par = NULL, *queue;
	size_t nall = 0, acap = 0, pcap = 0, nq = 1;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		pid_t pp;
		if (*end || pid <= 0 || pid == getpid())
			continue;
		pp = parent_of((pid_t)pid);
		if (pp <= 0)
			continue;
		all = xgrow(all, &acap, nall + 1, sizeof(*all));
		par = xgrow(par, &pcap, nall + 1, sizeof(*par));
		all[nall] = (pid_t)pid;
		par[nall++] = pp;
	}
	closedir(d);
	/* breadth first from ROOT; each process is one of ALL at most once,
	 * so the queue holds at most NALL + 1 */
	queue = xmalloc((nall + 1) * sizeof(*queue));
	queue[0] = root;
	for (size_t at = 0; at < nq; at++) {
		for (size_t i = 0; i < nall; i++) {
			char *state;
			size_t k;
			if (par[i] != queue[at])
				continue;
			queue[nq++] = all[i];
			for (k = 0; k < *n && (*v)[k] != all[i]; k++)
				;
			if (k < *n)
				continue; /* given with --pid too */
			state = status_field(all[i], "State:");
			if (state && state[0] != 'Z' && state[0] != 'X') {
				*v = xgrow(*v, cap, *n + 1, sizeof(**v));
				(*v)[(*n)++] = all[i];
			}
			free(state);
		}
	}
	free(queue);
	free(all);
	free(par);
}

int tracer_attach(const int *pids, const int *tree, size_t n,
		  struct trace_result *res)
{
	int *v = NULL;
	size_t nv = 0, cap = 0;

	/* the processes, every one checked before any is attached to */
	for (size_t i = 0; i < n; i++) {
		v = xgrow(v, &cap, nv + 1, sizeof(*v));
		v[nv++] = pids[i];
	}
	for (size_t i = 0; i < n; i++)
		if (tree[i])
			add_descendants(pids[i], &v, &nv, &cap);
	for (size_t i = 0; i < nv; i++)
		check_target(v[i]);
	tracer_begin(1);
	for (size_t i = 0; i < nv; i++) {
		int explicit = 0, ret;
		for (size_t k = 0; k < n; k++)
			explicit |= pids[k] == v[i];
		ret = attach_one(v[i], !explicit);
		if (ret) {
			free(v);
			tracer_detach_all(NULL);
			return ret;
		}
	}
	free(v);
	tracer_loop(1);
	res->status = 0;
	res->errors = tracer_total_errors();
	tracer_print_stats();
	stack_depot_release(&g_depot);
	return 0;
}

/* Move T's pc out of the page of P, to where the original code is. */
static void fix_pc(struct proc *p, struct thread *t)
{
	arch_regs_t r;
	taddr_t pc;

	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return;
	pc = ARCH_PC(&r);
	if (!p->page || pc < p->page || pc >= p->page + PAGE_SIZE_INJ)
		return;
	if (pc >= p->page + INJ_STUB) {
		/* in its return stub: back to the caller (the result is in
		 * the return register until the mov, in the cell after) */
		uint64_t cell[2];
		taddr_t i = (pc - p->page - INJ_STUB) / INJ_STUB_SLOT;
		if (p->data && mem_read(p->pid, p->data + i * 16, cell,
					sizeof(cell)) == (long)sizeof(cell))
			ARCH_PC(&r) = cell[1];
	} else if (pc >= p->page + INJ_RET) {
		/* in a return slot: before its int3 (returned, not trapped)
		 * or after it (handled; the jmp to the caller not run) */
		taddr_t slot = pc - (pc - p->page - INJ_RET) % INJ_RET_SLOT,
			ret;
		if (bp_ret_slot_target(p, slot, &ret)) {
			ARCH_PC(&r) = ret;
			if (pc == slot && t->npend &&
			    t->pend[t->npend - 1].orig_ret == ret)
				t->npend--;
		}
	} else if (pc == p->page + INJ_TRAMP && t->npend) {
		/* returned into the trampoline; its int3 has not run */
		ARCH_PC(&r) = t->pend[--t->npend].orig_ret;
	} else {
		/* in the out-of-line copy of a displaced instruction */
		for (size_t i = 0; i < p->nbps; i++) {
			const struct bp *b = &p->bps[i];
			if (b->is_jump)
				continue;
			if (pc == b->resume) {
				ARCH_PC(&r) = b->addr;
				break;
			}
			if (pc == b->resume + b->insn_len) {
				ARCH_PC(&r) = b->addr + b->insn_len;
				break;
			}
		}
	}
	if (ARCH_PC(&r) != pc)
		ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	else
		warning("pid %d: thread %d is at %#llx in leakcheck's page; "
			"it may crash after detach",
			p->pid, t->tid, (unsigned long long)pc);
}

/* Is a SIGTRAP queued for thread TID (an int3 it ran just before our
 * interrupt stopped it: the kernel reports the interrupt first)? */
static int sigtrap_pending(pid_t pid, pid_t tid)
{
	char path[64], *text, *f;
	unsigned long long mask = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	text = read_file_text(path, NULL);
	if (!text)
		return 0;
	f = strstr(text, "\nSigPnd:");
	if (f)
		mask = strtoull(f + 8, NULL, 16);
	free(text);
	return (mask >> (SIGTRAP - 1)) & 1;
}

/* Let T take a queued SIGTRAP of ours (handled as any trap), then stop it
 * again; detaching with it queued would kill the program. */
static void settle(struct thread *t)
{
	pid_t tid = t->tid;
	int status, rounds = 0;

	while (thread_find(tid) == t && t->stopped_for_scan && !t->pend_exit &&
	       sigtrap_pending(t->proc->pid, tid) && rounds++ < 100) {
		t->stopped_for_scan = 0;
		ptrace(PTRACE_CONT, tid, 0, 0);
		/* the trap (handled and resumed), then stop again */
		switch (task_wait_stopped(t, &status, 1)) {
		case 1:
			break;
		case 0:
			if (thread_find(tid) == t)
				tracer_dispatch(tid, status);
			return;
		default:
			return;
		}
	}
}

static void detach_proc(struct proc *p)
{
	struct thread *t, *nx, *any = NULL;

	proc_stop_all(p, NULL);
	for (t = threads_of(p, NULL); t; t = nx) {
		nx = threads_of(p, t);
		settle(t);
	}
	fast_settle(p, 1);
	hook_harvest_stopped(p);
	for (t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		if (!t->stopped_for_scan)
			continue;
		fix_pc(p, t);
		if (!any)
			any = t;
	}
	bp_restore_returns(p);
	bp_remove_all(p);
	fast_detach(p, any ? any->tid : 0);
	if (any)
		bp_remove_handler(p, any->tid);
	/* the page goes: no thread may be in it (a trap handled late) */
	for (t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		arch_regs_t r;
		if (p->page && ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0 &&
		    ARCH_PC(&r) >= p->page &&
		    ARCH_PC(&r) < p->page + PAGE_SIZE_INJ) {
			warning("pid %d: thread %d was still at %#llx in "
				"leakcheck's page at detach (stopped %d)",
				p->pid, t->tid,
				(unsigned long long)(ARCH_PC(&r) - p->page),
				t->stopped_for_scan);
			fix_pc(p, t);
		}
	}
	if (p->data && any) {
		unsigned long long a[6] = {p->data, DATA_SIZE_INJ, 0, 0, 0, 0};
		inject_syscall(p, any->tid, SYS_munmap, a);
		p->data = 0;
	}
	if (p->page && any) {
		unsigned long long a[6] = {p->page, PAGE_SIZE_INJ, 0, 0, 0, 0};
		long r = inject_syscall(p, any->tid, SYS_munmap, a);
		if (r)
			debug("pid %d: munmap of our page: %ld", p->pid, r);
		p->page = 0;
	}
	guard_done(p);
	for (t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		if (t->pend_exit) {
			/* stopped at its exit: let it finish */
			ptrace(PTRACE_DETACH, t->tid, 0, 0);
			continue;
		}
		ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->pending_sig);
	}
}

void tracer_detach_all(const char *why)
{
	for (struct proc *p = proc_list(), *nx; p; p = nx) {
		nx = p->next;
		if (why && (p->flags & PROC_TRACING) &&
		    !(p->flags & PROC_REPORTED) && (!opt.once || !p->nreports))
			proc_report(p, NULL, 0);
		detach_proc(p);
		if (!opt.quiet)
			fprintf(stderr,
				"leakcheck: detached from pid %d; it "
				"runs on as before\n",
				p->pid);
		while (threads_of(p, NULL))
			tracer_thread_free(threads_of(p, NULL));
		if (proc_find(p->pid) == p)
			tracer_proc_free(p);
	}
}
