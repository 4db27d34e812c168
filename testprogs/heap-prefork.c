/*
 * heap-prefork: a pre-fork server's worker, for tests/heapwalk.sh (no
 * EXPECT line; tests/run.sh skips it).  Speaks the heap-corrupt.h
 * protocol, without corrupting anything.
 *
 * usage: heap-prefork READYFILE
 *
 *   master: 100 blocks of 200 bytes kept in a global, then fork() x 3
 *   worker: 300 blocks of 5,000 bytes kept (brk grows the heap the
 *           master left: [heap] is two adjacent mappings now), one block
 *           of 1,000 bytes leaked (its pointer dies with leak()'s frame)
 *
 * The first worker writes its pid to READYFILE: leakcheck --pid attaches
 * to it and its heap walk must find all 401 blocks, the master's 100
 * among them, with no warning; the 1,000 bytes are definitely lost.  At
 * SIGTERM the master passes it on to the workers; each checks that its
 * kept blocks are as written and exits 0, and the master exits 0 when all
 * did, having printed "heap-corrupt: ok".
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NMASTER 100
#define NWORKER 300
#define NWORKERS 3

static char *kept[NMASTER + NWORKER];
static volatile sig_atomic_t term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

static __attribute__((noinline)) void leak(void)
{
	char *p = malloc(1000);

	memset(p, 'L', 1000);
}

static int intact(int from, int n, size_t size, char c)
{
	for (int i = from; i < from + n; i++)
		for (size_t k = 0; k < size; k++)
			if (kept[i][k] != c)
				return 0;
	return 1;
}

static void wait_term(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!term)
		sigsuspend(&none);
}

static int worker(const char *ready, int first)
{
	for (int i = NMASTER; i < NMASTER + NWORKER; i++) {
		kept[i] = malloc(5000);
		memset(kept[i], 'w', 5000);
	}
	leak();
	if (first) {
		char buf[32];
		int fd, n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		/* raw writes: the expectations, then the ready file */
		static const char want[] =
			"warning: none\n"
			"lost: == 1,000 bytes in 1 blocks are definitely lost\n"
			"lost: in use: 1,521,000 bytes in 401 blocks\n";
		(void)!write(1, want, sizeof(want) - 1);
		fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 2;
		(void)!write(fd, buf, (size_t)n);
		close(fd);
	}
	wait_term();
	return intact(0, NMASTER, 200, 'm') &&
			       intact(NMASTER, NWORKER, 5000, 'w')
		       ? 0
		       : 1;
}

int main(int argc, char **argv)
{
	pid_t pids[NWORKERS];
	sigset_t block, old;
	int bad = 0;

	if (argc != 2)
		return 2;
	signal(SIGTERM, on_term);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < NMASTER; i++) {
		kept[i] = malloc(200);
		memset(kept[i], 'm', 200);
	}
	for (int w = 0; w < NWORKERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			_exit(worker(argv[1], w == 0));
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	wait_term();
	for (int w = 0; w < NWORKERS; w++) {
		int st;
		kill(pids[w], SIGTERM);
		if (waitpid(pids[w], &st, 0) != pids[w] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			bad = 1;
	}
	(void)!write(1, bad ? "heap-corrupt: a worker's blocks changed\n"
			    : "heap-corrupt: ok\n",
		     bad ? 40 : 17);
	return bad;
}
