/* profile-sizes: known allocation sizes, for the heap-profile tests
 * (tests/profile.sh); not a leak-pattern test, so no EXPECT line.
 *
 *   small_leaks   20000 x 64 bytes     dropped: definitely lost
 *   big_leaks       200 x 10000 bytes  dropped: definitely lost
 *   keep_some      1000 x 256 bytes    in a global array: reachable
 *   churn           500 x 100 bytes    freed at once: only in alloc_*
 *
 * The counts are scaled by argv[1] (default 1) to make a quicker run.
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static void *kept[1000];

static NOINLINE void small_leaks(int n)
{
	for (int i = 0; i < n; i++) {
		volatile char *p = malloc(64);
		p[0] = 1;
	}
}

static NOINLINE void big_leaks(int n)
{
	for (int i = 0; i < n; i++) {
		volatile char *p = malloc(10000);
		p[0] = 1;
	}
}

static NOINLINE void keep_some(int n)
{
	for (int i = 0; i < n && i < 1000; i++)
		kept[i] = malloc(256);
}

static NOINLINE void churn(int n)
{
	for (int i = 0; i < n; i++) {
		volatile char *p = malloc(100);
		p[0] = 1;
		free((void *)p);
	}
}

int main(int argc, char **argv)
{
	int div = argc > 1 ? atoi(argv[1]) : 1;

	if (div < 1)
		div = 1;
	small_leaks(20000 / div);
	big_leaks(200 / div);
	keep_some(1000 / div);
	churn(500 / div);
	return 0;
}
