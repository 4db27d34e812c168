/* exit-handlers: atexit handlers and destructors run after main returns
 * and before the process is gone; they free and allocate.  What counts is
 * the heap when the process ends (valgrind checks at exit_group, after
 * them), so leakcheck must keep tracking until then.
 *
 *   main:       a = malloc(64), b = malloc(80), in globals
 *   atexit:     free(a); malloc(208), dropped; late = malloc(48)
 *   destructor: free(b)
 *
 * At the end: a and b freed; the 208 bytes definitely lost; late (a
 * global) still reachable.
 *
 * EXPECT: definite=208/1 indirect=0/0 possible=0/0 reachable=48/1
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *a, *b, *late;

static NOINLINE void lose(size_t n)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(n);

	memset(p, 0, n);
}

static void handler(void)
{
	free(a);
	lose(208);
	late = malloc(48);
}

__attribute__((destructor)) static void fini(void)
{
	free(b);
}

static NOINLINE void setup(void)
{
	a = malloc(64);
	b = malloc(80);
	atexit(handler);
}

int main(void)
{
	setup();
	return 0;
}
