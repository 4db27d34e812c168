/*
 * ringpoll: drain the fast path's rings while the program runs.
 *
 * A program that allocates fast fills its ring (D_NSLOTS records) in
 * well under a millisecond, then traps and waits while we wake, read the
 * ring and resume it: on alloc (bench/) that wait was a third of the
 * wall time, the program and leakcheck taking turns on two CPUs.  So
 * once a ring has filled, the event loop stops blocking in waitpid: it
 * drains every ring itself, then waits for a tracee's event (SIGCHLD,
 * blocked meanwhile, taken with sigtimedwait) for at most a poll
 * interval, the program running on meanwhile.  The interval adapts to
 * find between 64 and 512 records at each poll; after
 * POLL_IDLE_MS with no record the loop blocks in waitpid again (a
 * service waiting for requests costs nothing).
 *
 * Reading a ring while its writers run is what a trap's drain has
 * always done for the threads that did not trap (fast_drain).  Only
 * for programs on CPUs of their own: a single-threaded program that
 * shares leakcheck's (--same-cpu) is drained at its traps, as before.
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"
#include "fast_layout.h"
#include "bp/bp.h"
#include "leakcheck/util.h"

#define POLL_MIN_US 10
#define POLL_MAX_US 2000
#define POLL_IDLE_MS 20
#define POLL_BATCH                                                             \
	256 /* records a poll aims to find: a fraction of the                  \
	     * smallest ring (FAST_NSLOTS_COPY) */

static int active;
static unsigned interval_us = 100;
static double idle_since;
static uint64_t seen_full;

static sigset_t chld_set(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	return s;
}

static void chld_mask(int how)
{
	sigset_t s = chld_set();

	sigprocmask(how, &s, NULL);
}

/* A process that shares leakcheck's CPU (--same-cpu) is not polled:
 * each poll would take the CPU from it, and the drain its trap asks for
 * costs it less (bench/alloc: 0.60 s unpolled, 0.72 s polled). */
static int polled(const struct proc *p)
{
	return p->fast && !(p->flags & PROC_SAME_CPU);
}

static size_t drain_all(void)
{
	size_t n = 0;

	for (struct proc *p = proc_list(); p; p = p->next)
		if (polled(p))
			n += fast_drain(p, 0);
	return n;
}

static int any_polled(void)
{
	for (struct proc *p = proc_list(); p; p = p->next)
		if (polled(p))
			return 1;
	return 0;
}

/*
 * waitpid(-1, STATUS, __WALL), draining the rings while a program is
 * allocating fast: then it returns -1 with errno EINTR after each poll
 * that saw no event (the loop looks at its requests and comes back).
 */
pid_t ringpoll_wait(int *status)
{
	struct timespec ts;
	sigset_t chld = chld_set();
	size_t n;
	int trapped;
	pid_t tid;

	trapped = g_bp_stats.fast_full != seen_full;
	seen_full = g_bp_stats.fast_full;
	if (trapped && !active && any_polled()) {
		/* SIGCHLD's default is to ignore: discarded unless blocked,
		 * and sigtimedwait needs it pending */
		chld_mask(SIG_BLOCK);
		prctl(PR_SET_TIMERSLACK, 1000UL); /* 1 us, not 50 */
		active = 1;
		idle_since = now_seconds();
	}
	if (!active)
		return waitpid(-1, status, __WALL);
	tid = waitpid(-1, status, __WALL | WNOHANG);
	if (tid)
		return tid; /* an event, or -1: ECHILD */
	if (trapped) {
		/* a ring filled before we looked (and was just drained) */
		if (interval_us / 2 >= POLL_MIN_US)
			interval_us /= 2;
	} else {
		n = drain_all();
		g_bp_stats.fast_polls++;
		if (n > POLL_BATCH * 2 && interval_us / 2 >= POLL_MIN_US)
			interval_us /= 2;
		else if (n < POLL_BATCH / 4 && interval_us * 2 <= POLL_MAX_US)
			interval_us *= 2;
		if (n)
			idle_since = now_seconds();
		else if (now_seconds() - idle_since > POLL_IDLE_MS / 1e3) {
			active = 0;
			chld_mask(SIG_UNBLOCK);
			errno = EINTR;
			return -1;
		}
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)interval_us * 1000;
	sigtimedwait(&chld, NULL, &ts); /* a tracee's event, a timeout or
					 * a request's signal: all go round
					 * the loop */
	errno = EINTR;
	return -1;
}
