/* signal-longjmp-malloc: a program with an allocator of its own (a bump
 * allocator that clears each block, named malloc, as a replacement malloc
 * is) and a SIGALRM watchdog, every 100 us, whose handler abandons with
 * siglongjmp an allocation it interrupts: the step starts again.  A jump
 * leaves the pool whole (one store makes a block its caller's), and the
 * program's calls that return are exactly
 *
 *   20000 x malloc(64), all freed but every 1000th
 *
 * so the heap usage is "20,000 allocs, 19,980 frees", as valgrind says
 * (the calls it leaves are not counted: they never returned).  No EXPECT
 * line: tests/run.sh (signal-longjmp-malloc-*) checks the heap usage of
 * the gcc -O0 build; at -O2 gcc and clang drop the calls to the empty
 * free.
 */
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>

#define N 20000
#define NOINLINE __attribute__((noinline))

static sigjmp_buf again;
static volatile sig_atomic_t armed, in_malloc;
static char pool[8 << 20] __attribute__((aligned(16)));
static size_t used;

NOINLINE void *malloc(size_t n)
{
	size_t at = (used + 15) & ~(size_t)15;
	volatile char *p = pool + at;

	if (at + n > sizeof(pool))
		return NULL;
	in_malloc = 1;
	for (size_t i = 0; i < n; i++)
		p[i] = 0;
	used = at + n;
	in_malloc = 0;
	return pool + at;
}

void *calloc(size_t n, size_t m)
{
	return malloc(n * m);
}

void *realloc(void *old, size_t n)
{
	void *p = malloc(n);

	if (p && old)
		memcpy(p, old, n);
	return p;
}

NOINLINE void free(void *p)
{
}

static void on_alarm(int sig)
{
	if (armed && in_malloc) {
		in_malloc = 0;
		siglongjmp(again, 1);
	}
}

int main(void)
{
	struct itimerval it = {{0, 100}, {0, 100}};
	volatile int i = 0;

	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
	sigsetjmp(again, 1);
	armed = 1;
	while (i < N) {
		char *volatile p = malloc(64);
		if (i % 1000)
			free(p);
		i = i + 1;
	}
	armed = 0;
	return 0;
}
