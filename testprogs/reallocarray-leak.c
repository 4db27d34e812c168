/* reallocarray-leak: reallocarray allocating and growing, then lost.
 *
 *   p = reallocarray(NULL, 10, 48)      480 bytes
 *   p = reallocarray(p, 20, 48)         960 bytes (the 480 are freed)
 *   reallocarray(NULL, SIZE_MAX / 2, 4) overflows: NULL, nothing allocated
 *   p dropped
 *
 * EXPECT: definite=960/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdint.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	volatile size_t huge = SIZE_MAX / 2; /* no compile-time overflow warning */
	char *p = reallocarray(NULL, 10, 48);

	p[0] = 1;
	p = reallocarray(p, 20, 48);
	p[959] = 1;
	if (reallocarray(NULL, huge, 4) != NULL)
		exit(2);
}

int main(void)
{
	leak();
	return 0;
}
