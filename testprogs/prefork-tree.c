/*
 * prefork-tree: a pre-fork server's process tree, for tests/attach.sh's
 * --pid-tree test (no EXPECT line; tests/run.sh skips it).
 *
 * usage: prefork-tree READYFILE
 *
 *   master:  100 blocks of 200 bytes kept in a global, then fork() x 3
 *   worker:  50 blocks of 3,000 bytes kept, one block of 1,000 bytes
 *            leaked (its pointer dies with leak()'s frame), then it says
 *            so on a pipe and waits for SIGTERM
 *   master:  once the three have said so, writes its pid to READYFILE
 *            and waits for SIGTERM, which it passes on; each worker then
 *            checks that its blocks are as written and exits 0, and the
 *            master prints "prefork-tree: ok" when all did
 *
 * leakcheck --pid-tree=MASTER attaches to all four: each worker's report
 * has the 1,000 bytes definitely lost and 150,000 + 20,000 bytes in use
 * (its copy of the master's blocks); the master's has no leak.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NMASTER 100
#define NWORKER 50
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

static void wait_term(const sigset_t *old)
{
	while (!term)
		sigsuspend(old);
}

static int worker(int tell, const sigset_t *old)
{
	for (int i = NMASTER; i < NMASTER + NWORKER; i++) {
		kept[i] = malloc(3000);
		memset(kept[i], 'w', 3000);
	}
	leak();
	(void)!write(tell, "w", 1);
	close(tell);
	wait_term(old);
	return intact(0, NMASTER, 200, 'm') &&
			       intact(NMASTER, NWORKER, 3000, 'w')
		       ? 0
		       : 1;
}

int main(int argc, char **argv)
{
	pid_t pids[NWORKERS];
	sigset_t block, old;
	int bad = 0, fds[2], fd;
	char c, buf[32];

	if (argc != 2 || pipe(fds) < 0)
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
			close(fds[0]);
			_exit(worker(fds[1], &old));
		}
	}
	close(fds[1]);
	for (int w = 0; w < NWORKERS; w++)
		if (read(fds[0], &c, 1) != 1)
			return 2;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 2;
	(void)!write(fd, buf, (size_t)snprintf(buf, sizeof(buf), "%d\n",
					      (int)getpid()));
	close(fd);
	wait_term(&old);
	for (int w = 0; w < NWORKERS; w++) {
		int st;
		kill(pids[w], SIGTERM);
		if (waitpid(pids[w], &st, 0) != pids[w] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			bad = 1;
	}
	puts(bad ? "prefork-tree: a worker's blocks changed" : "prefork-tree: ok");
	return bad;
}
