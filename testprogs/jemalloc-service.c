/*
 * jemalloc-service: a service on jemalloc that keeps what it allocates
 * in a table it allocated before leakcheck attached, for tests/attach.sh
 * (no EXPECT line; tests/run.sh skips it).
 *
 * usage: jemalloc-service READYFILE DONEFILE
 *
 *   before attach: table = malloc(64 pointers) (jemalloc's)  still reachable
 *                  3 x malloc(256), dropped              definitely lost
 *                  malloc(20480), dropped (a large one)  definitely lost
 *                  lost = malloc(64) -> malloc(80),
 *                    dropped                   definitely + indirectly lost
 *                  40 x malloc(48) and 2 x malloc(24576), freed: in the
 *                    thread's cache or back in their slabs  not blocks
 *                  30 x mallocx(96) freed with dallocx through an
 *                    explicit thread cache (tcache.create), which stays:
 *                    in that cache                          not blocks
 *                  READYFILE
 *   at SIGUSR1:    60 x table[i] = malloc(700)      held: still reachable
 *                   6 x malloc(100), dropped         definitely lost
 *                  DONEFILE; then waits for SIGTERM and exits 0 if
 *                  the table and its blocks are intact, 1 if not
 *
 * Every size before the attach is one of jemalloc's size classes, so a
 * block's usable size (what the heap walk finds) is its requested size:
 * definitely lost 768 + 20480 + 64 + 600 = 21,912 bytes in 11 blocks,
 * indirectly lost 80 bytes in 1 block.
 *
 * When leakcheck cannot walk jemalloc's heap, the table is unknown to it;
 * the 60 blocks' only pointers are in it.  They must not be called lost
 * (they were, all of them: 42,000 bytes in 60 blocks).
 *
 * LIBS: -ljemalloc
 */
#include <fcntl.h>
#include <jemalloc/jemalloc.h>
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

static __attribute__((noinline)) void drop(size_t n)
{
	char *p = malloc(n);

	memset(p, 'p', n);
	sink = p;
	sink = NULL;
}

static __attribute__((noinline)) void drop_with_child(void)
{
	void **p = malloc(64);

	memset(p, 0, 64);
	p[0] = malloc(80);
	memset(p[0], 'c', 80);
	sink = p;
	sink = NULL;
}

static __attribute__((noinline)) void churn(void)
{
	void *v[42];

	for (int i = 0; i < 40; i++)
		v[i] = malloc(48);
	v[40] = malloc(24576);
	v[41] = malloc(24576);
	for (int i = 0; i < 42; i++) {
		memset(v[i], 'f', 48);
		free(v[i]);
	}
}

static __attribute__((noinline)) void churn_explicit(void)
{
	unsigned tc;
	size_t sz = sizeof(tc);
	void *v[30];

	if (mallctl("tcache.create", &tc, &sz, NULL, 0))
		return;
	for (int i = 0; i < 30; i++)
		v[i] = mallocx(96, MALLOCX_TCACHE(tc));
	for (int i = 0; i < 30; i++)
		dallocx(v[i], MALLOCX_TCACHE(tc));
}

static void before_attach(void)
{
	for (int i = 0; i < 3; i++)
		drop(256);
	drop(20480);
	drop_with_child();
	churn();
	churn_explicit();
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
	before_attach();
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
	for (int i = 0; i < 60; i++)
		for (int k = 0; k < 700; k++)
			if (!table[i] || ((char *)table[i])[k] != 'k')
				return 1;
	return 0;
}
