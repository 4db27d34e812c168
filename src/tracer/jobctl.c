/*
 * jobctl: job control, so that a shell sees a traced program stop and go
 * on as it would without leakcheck.
 *
 * A launched program is in leakcheck's process group, the shell's job,
 * and the shell waits for leakcheck, not for the program: the job is
 * "Stopped" when leakcheck is, and fg/bg's SIGCONT goes to the group.
 *
 * Stop signals that reach leakcheck (SIGTSTP, SIGTTIN, SIGTTOU: Ctrl-Z, a
 * background read or write of the terminal, a program's kill(0, SIGTSTP))
 * do not stop it at once.  The program gets them too, and must be let
 * through them: less's SIGTSTP handler resets the terminal and then stops
 * less with kill(getpid(), SIGTSTP), and leakcheck passes on each signal
 * and serves each trap on the way.  (Stopped at once, as it used to be,
 * leakcheck left the program in its signal-delivery-stop; the handler ran
 * only after the shell's SIGCONT, stopped the program after it, and
 * nothing ever continued it.)
 *
 * leakcheck stops itself, with the program's stop signal, when every
 * traced thread in its process group is in a group-stop (PTRACE_LISTEN).
 * The shell then sees the job stopped by that signal, as it would, and
 * its SIGCONT to the group continues leakcheck and the program together
 * (a LISTENing thread is woken by SIGCONT; leakcheck passes the signal
 * on; a thread so woken whose trap has not come in yet is not taken for
 * stopped, as its process has SIGCONT pending until then).  While leakcheck is
 * stopped, a watcher process (forked for the stop, in a session of its own)
 * wakes it with a SIGCONT of its own when it is needed: a stopped member of the
 * job was continued alone (kill -CONT PID) or died, or leakcheck was sent
 * SIGINT, SIGTERM, SIGHUP, SIGUSR1 or SIGUSR2.  leakcheck does what it is asked
 * and, if the job is still stopped, stops again.  SIGTERM or SIGHUP to
 * leakcheck, passed on to a stopped program, is followed by SIGCONT (as bash's
 * kill of a stopped job and systemd do), so that the program acts on it and the
 * report is written.
 *
 * A stop signal that reaches leakcheck with no traced thread in its
 * process group (--pid of a process elsewhere) stops leakcheck, as the
 * default action did.
 *
 * XXX: threads of other process groups (a daemon after setsid, the jobs of
 * a traced interactive shell) are not part of the job: they neither hold
 * leakcheck up nor wake it, and one that traps while leakcheck is stopped
 * waits for it.  A member of the job that ignores SIGTSTP keeps leakcheck,
 * and so the job, from stopping on Ctrl-Z.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/util.h"

/* how often the watcher looks, in ms */
#define WATCH_MS 20

static volatile sig_atomic_t got_stop; /* a stop signal reached us: which */
static volatile sig_atomic_t got_cont; /* we were continued */
static int dirty;    /* a group-stop, an exit or a stop signal: look again */
static int main_sig; /* the stop signal of the launched program's last */
static int last_sig; /*   group-stop, and of anyone's */
static int stop_sig; /* what jobctl_want_stop chose */

static void on_stop_signal(int sig)
{
	got_stop = sig;
}

static void on_cont(int sig)
{
	got_cont = 1;
}

/*
 * Our handler for stop signal SIG.  SIGTSTP and SIGTTIN interrupt the
 * event loop's waitpid (no SA_RESTART).  SIGTTOU restarts what it
 * interrupts and goes back to the default action once taken
 * (SA_RESETHAND; the loop takes it again): a write of leakcheck's own to
 * the terminal from the background with `stty tostop` is refused with
 * SIGTTOU and restarted, and the second SIGTTOU stops leakcheck as it
 * would stop the program, where a handler that stayed would have it retry
 * forever.  XXX: a second SIGTTOU from the program before the loop takes
 * it again stops leakcheck at once, as before.
 */
static void take(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	if (sig == SIGTTOU)
		sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigaction(sig, &sa, NULL);
}

void jobctl_signals(void)
{
	struct sigaction sa;

	take(SIGTSTP);
	take(SIGTTIN);
	take(SIGTTOU);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cont;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCONT, &sa, NULL);
}

void jobctl_group_stop(struct thread *t, int sig)
{
	if (t->proc->flags & PROC_MAIN)
		main_sig = sig;
	last_sig = sig;
	dirty = 1;
}

void jobctl_changed(void)
{
	dirty = 1;
}

/* The bit of SIG in a /proc/PID/status signal mask. */
#define SIGBIT(sig) (1ULL << ((sig)-1))

/* /proc/PID/status's state letter and pending signals (thread's and
 * process's); 0 if PID is gone. */
static int proc_state(pid_t pid, unsigned long long *pending)
{
	char path[64], buf[4096], *s;
	int fd, state = 0;
	ssize_t n;

	*pending = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if ((s = strstr(buf, "\nState:")))
		state = s[7 + strspn(s + 7, " \t")];
	if ((s = strstr(buf, "\nSigPnd:")))
		*pending |= strtoull(s + 8, NULL, 16);
	if ((s = strstr(buf, "\nShdPnd:")))
		*pending |= strtoull(s + 8, NULL, 16);
	return state;
}

/* Is P in our process group? */
static int in_job(const struct proc *p)
{
	return getpgid(p->pid) == getpgrp();
}

int jobctl_want_stop(void)
{
	int members = 0, own = 0, main_in = 0;

	if (got_stop) {
		own = got_stop;
		got_stop = 0;
		take(SIGTTOU);
		dirty = 1;
	}
	if (!dirty)
		return 0;
	for (struct proc *p = proc_list(); p; p = p->next) {
		if (!in_job(p))
			continue;
		if (p->flags & PROC_MAIN)
			main_in = 1;
		for (struct thread *t = threads_of(p, NULL); t;
		     t = threads_of(p, t)) {
			if (!t->listening) {
				/* (the usual answer, found at once) */
				dirty = 0;
				return 0;
			}
			members++;
		}
	}
	if (!members) {
		/* a stop signal for leakcheck alone */
		dirty = 0;
		stop_sig = own;
		return own != 0;
	}
	/* continued, with its trap on the way: not stopped (SIGCONT waits
	 * in a traced process until we pass it on) */
	for (struct proc *p = proc_list(); p; p = p->next) {
		unsigned long long pend;
		if (in_job(p) && proc_state(p->pid, &pend) &&
		    (pend & SIGBIT(SIGCONT)))
			return 0;
	}
	stop_sig = main_in && main_sig ? main_sig : last_sig;
	return stop_sig != 0;
}

/* Does stopped leakcheck (SELF) have to wake up for the job PIDS? */
static int wanted(pid_t self, const pid_t *pids, int n)
{
	const unsigned long long requests = SIGBIT(SIGINT) | SIGBIT(SIGTERM) |
					    SIGBIT(SIGHUP) | SIGBIT(SIGUSR1) |
					    SIGBIT(SIGUSR2);
	unsigned long long pend;
	int st;

	if (proc_state(self, &pend) == 'T' && (pend & requests))
		return 1;
	for (int i = 0; i < n; i++) {
		st = proc_state(pids[i], &pend);
		if (!st || st == 'Z' || st == 'X' ||
		    (pend & (SIGBIT(SIGCONT) | SIGBIT(SIGKILL))))
			return 1;
	}
	return 0;
}

/* The watcher: until FD (our pipe from leakcheck) is closed, by a
 * leakcheck that goes on or is gone, wake SELF when it is wanted. */
static void __attribute__((noreturn))
watcher_main(pid_t self, const pid_t *pids, int n, int fd)
{
	static const int quiet[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
				    SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM,
				    SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT};

	for (size_t i = 0; i < ARRAY_SIZE(quiet); i++)
		signal(quiet[i], SIG_IGN);
	setsid(); /* out of the job: its signals are not ours */
	prctl(PR_SET_NAME, "leakcheck-wake", 0, 0, 0);
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	close_range(4, ~0u, 0);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, WATCH_MS);
		if (r > 0 || (r < 0 && errno != EINTR))
			_exit(0);
		if (r == 0 && wanted(self, pids, n)) {
			kill(self, SIGCONT);
			_exit(0);
		}
	}
}

/* Start a watcher (forked twice: not our child, our waitpid(-1) never
 * sees it); returns the pipe end whose close ends it, or -1. */
static int watcher_start(const pid_t *pids, int n)
{
	pid_t self = getpid(), child;
	int fds[2], status;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	child = fork();
	if (child == 0) {
		if (fork() == 0)
			watcher_main(self, pids, n, fds[0]);
		_exit(0);
	}
	close(fds[0]);
	if (child < 0) {
		close(fds[1]);
		return -1;
	}
	while (waitpid(child, &status, __WALL) < 0 && errno == EINTR)
		;
	return fds[1];
}

void jobctl_stop(void)
{
	int sig = stop_sig, n = 0, fd;
	pid_t *pids;
	size_t cap = 0;
	sigset_t set;

	pids = NULL;
	for (struct proc *p = proc_list(); p; p = p->next) {
		if (!in_job(p))
			continue;
		pids = xgrow(pids, &cap, (size_t)n + 1, sizeof(*pids));
		pids[n++] = p->pid;
	}
	debug("every traced thread of the job is stopped (%s): leakcheck "
	      "stops too",
	      strsignal(sig));
	fd = watcher_start(pids, n);
	free(pids);
	got_cont = 0;
	if (sig != SIGSTOP)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kill(getpid(), sig);
	/* ... continued (or not stopped at all: an orphaned process group
	 * ignores SIGTSTP, SIGTTIN and SIGTTOU) */
	if (sig != SIGSTOP)
		take(sig);
	if (fd >= 0)
		close(fd);
	/* continued: look again; not stopped: wait for news */
	dirty = got_cont;
	debug("leakcheck continued%s", got_cont ? "" : " (it did not stop)");
}

void jobctl_kill(pid_t pid, int sig)
{
	struct proc *p = proc_find(pid);
	int stopped = 0;

	if (p)
		for (struct thread *t = threads_of(p, NULL); t;
		     t = threads_of(p, t))
			stopped |= t->listening;
	kill(pid, sig);
	if (stopped && sig != SIGKILL && sig != SIGCONT)
		kill(pid, SIGCONT);
}
