/*
 * guard: what keeps an attached program alive when leakcheck is killed.
 *
 * When the tracer dies the kernel detaches its tracees, but our int3s stay
 * in the program's code and our return slots on its threads' stacks; with
 * no tracer, the next trap is a SIGTRAP that kills it.  The SIGTRAP
 * handler in the injected page (bp.c) catches the traps that happen at
 * that moment; the guard makes sure nothing traps afterwards.
 *
 * The guard is a small process forked (twice, so that it is not our child
 * and our waitpid(-1) never sees it) when we attach.  It holds the
 * program's /proc/PID/mem, opened by us while we were its tracer, and the
 * reading end of a socket on which we send it, before each write of an
 * int3, the byte that takes it out again: the original byte at a
 * breakpoint, a nop at a return slot.  On a clean detach we send DONE and
 * it exits.  If the socket reaches end of file without DONE, leakcheck is
 * gone: it writes every byte back, in the order they came, and exits.  The
 * mem file is bound to the program's address space, not its pid, so a
 * recycled pid or an exec in the meantime makes the writes fail
 * harmlessly.
 *
 * Order.  A thread that blocks SIGTRAP (a service's worker that blocks
 * every signal) and meets an int3 with no tracer is killed by the kernel,
 * handler or not.  So every write is one byte, each takes an int3 out and
 * none puts one in, and the first turns the fast path's recording off
 * (fast_guard): from then on its code looks at that before each of its
 * int3s.  The fast path's jmps at the allocator's entries stay, running
 * only the displaced instructions (five bytes cannot go back at once
 * without an int3 in between); a later attach takes them out
 * (leftover.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptrace/ptrace.h"
#include "leakcheck/util.h"

struct guard_rec {
	uint64_t addr;
	uint8_t byte;
	uint8_t op; /* GUARD_WRITE or GUARD_DONE */
	uint8_t pad[6];
};
enum { GUARD_WRITE = 'W', GUARD_DONE = 'D' };

static void close_all_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0u, 0);
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? n : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void __attribute__((noreturn)) guard_main(pid_t pid, int memfd, int sock)
{
	struct guard_rec *recs = NULL, rec;
	size_t n = 0, cap = 0, done = 0;
	static const int quiet[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
				    SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM,
				    SIGTSTP, SIGTTIN, SIGTTOU};

	for (size_t i = 0; i < ARRAY_SIZE(quiet); i++)
		signal(quiet[i], SIG_IGN);
	setsid(); /* out of the terminal's process group: Ctrl-C is ours */
	prctl(PR_SET_NAME, "leakcheck-guard", 0, 0, 0);
	close_all_but(memfd, sock);
	for (;;) {
		ssize_t r = read_full(sock, &rec, sizeof(rec));
		if (r != (ssize_t)sizeof(rec))
			break; /* end of file: leakcheck is gone */
		if (rec.op == GUARD_DONE)
			_exit(0);
		if (n == cap) {
			struct guard_rec *nr;
			cap = cap ? 2 * cap : 64;
			nr = realloc(recs, cap * sizeof(*recs));
			if (!nr)
				break; /* do what we can with what we have */
			recs = nr;
		}
		recs[n++] = rec;
	}
	for (size_t i = 0; i < n; i++)
		if (pwrite(memfd, &recs[i].byte, 1, (off_t)recs[i].addr) == 1)
			done++;
	if (done)
		fprintf(stderr,
			"leakcheck: leakcheck ended without detaching from pid "
			"%d; its breakpoints are taken out and the program "
			"runs on\n",
			(int)pid);
	_exit(0);
}

/* Start P's guard.  Returns 1 if it started one now (the caller then
 * tells it what P already has: bp_guard_all), 0 if P has one already or
 * none is wanted, or -errno.  Without one (no fork, no mem file), an
 * attached program is as safe as the handler makes it. */
int guard_start(struct proc *p)
{
	int sv[2], memfd, status;
	pid_t child;

	if (p->guard_fd >= 0)
		return 0;
	/* tests/attach.sh checks the SIGTRAP handler on its own */
	if (getenv("LEAKCHECK_TEST_NO_GUARD"))
		return 0;
	memfd = mem_fd(p);
	if (memfd < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(NULL);
	child = fork();
	if (child < 0) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		return -err;
	}
	if (child == 0) {
		if (fork() == 0)
			guard_main(p->pid, memfd, sv[1]);
		_exit(0);
	}
	close(sv[1]);
	while (waitpid(child, &status, __WALL) < 0 && errno == EINTR)
		;
	p->guard_fd = sv[0];
	return 1;
}

static void guard_send(struct proc *p, const struct guard_rec *rec)
{
	if (p->guard_fd < 0)
		return;
	if (send(p->guard_fd, rec, sizeof(*rec), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(*rec)) {
		debug("pid %d: the guard process is gone: %s", p->pid,
		      strerror(errno));
		close(p->guard_fd);
		p->guard_fd = -1;
	}
}

/* Before an int3 goes in at ADDR: if leakcheck dies, write BYTE there. */
void guard_note(struct proc *p, taddr_t addr, uint8_t byte)
{
	struct guard_rec rec = {.addr = addr, .byte = byte, .op = GUARD_WRITE};
	guard_send(p, &rec);
}

/* Our int3s are out of P (or P is gone): the guard can go. */
void guard_done(struct proc *p)
{
	struct guard_rec rec = {.op = GUARD_DONE};
	guard_send(p, &rec);
	if (p->guard_fd >= 0)
		close(p->guard_fd);
	p->guard_fd = -1;
}
