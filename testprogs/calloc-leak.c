/* calloc-leak: a calloc'd block lost, another kept.
 *
 *   calloc(16, 64): pointer dropped          definitely lost, 1024 bytes
 *   global kept -> calloc(3, 32)             still reachable, 96 bytes
 *
 * The size is nmemb * size.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=96/1
 */
#include <stdlib.h>

#include "scrub.h"

void *kept;

static NOINLINE void leak(void)
{
	calloc(16, 64);
	kept = calloc(3, 32);
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
