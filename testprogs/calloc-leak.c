/* calloc-leak: a calloc'd block lost, another kept.
 *
 *   p = calloc(16, 64), dropped              definitely lost, 1024 bytes
 *   global kept -> calloc(3, 32)             still reachable, 96 bytes
 *
 * The size is nmemb * size.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=96/1
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void *kept;

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = calloc(16, 64);

	p[0] = 1;
	kept = calloc(3, 32);
}

int main(void)
{
	leak();
	return 0;
}
