/*
 * jemalloc-service: a service on jemalloc that keeps what it allocates
 * in a table it allocated before leakcheck attached, for tests/attach.sh
 * (no EXPECT line; tests/run.sh skips it).
 *
 * usage: jemalloc-service READYFILE DONEFILE
 *
 *   before attach: table = malloc(64 pointers) (jemalloc's), READYFILE
 *   at SIGUSR1:    60 x table[i] = malloc(700)      held: still reachable
 *                   6 x malloc(100), dropped         definitely lost
 *                  DONEFILE; then waits for SIGTERM and exits 0
 *
 * leakcheck cannot walk jemalloc's heap, so the table is unknown to it;
 * the 60 blocks' only pointers are in it.  They must not be called lost
 * (they were, all of them: 42,000 bytes in 60 blocks).
 *
 * LIBS: -ljemalloc
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void **table;
static volatile sig_atomic_t go, stop;
static void *volatile sink;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0)
		close(fd);
}

static __attribute__((noinline)) void leak(void)
{
	char *p = malloc(100);

	memset(p, 'l', 100);
	sink = p;
	sink = NULL;
}

int main(int argc, char **argv)
{
	sigset_t block, old;

	if (argc != 3)
		return 2;
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	table = malloc(64 * sizeof(*table));
	memset(table, 0, 64 * sizeof(*table));
	touch(argv[1]);
	while (!go && !stop)
		sigsuspend(&old);
	for (int i = 0; i < 60; i++) {
		table[i] = malloc(700);
		memset(table[i], 'k', 700);
		if (i % 10 == 0)
			leak();
	}
	touch(argv[2]);
	while (!stop)
		sigsuspend(&old);
	return 0;
}
