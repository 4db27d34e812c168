/* realloc-null: realloc(NULL, n) is malloc(n); glibc's realloc calls
 * malloc internally for it, and the block must be counted once.  The
 * NULL comes through a volatile: GCC turns a literal realloc(NULL, n)
 * into malloc(n), even at -O0, and the test would not see realloc.
 *
 *   realloc(NULL, 208), dropped           definitely lost
 *   global kept -> realloc(NULL, 48)      still reachable
 *
 * EXPECT: definite=208/1 indirect=0/0 possible=0/0 reachable=48/1
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void *kept;
static void *volatile null;

static NOINLINE void leak(void)
{
	realloc(null, 208);
	kept = realloc(null, 48);
}

int main(void)
{
	leak();
	return 0;
}
