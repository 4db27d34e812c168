/* reachable-global: blocks reached from a global through start pointers.
 *
 *   global root (.bss) -> a (512 bytes) -> b (256 bytes) -> c (48 bytes)
 *   global data (.data) -> d (80 bytes)
 *
 * Every block has a chain of start pointers from a root: still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=896/4
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void **root;
void *data = &data; /* in .data, not .bss */

static NOINLINE void build(void)
{
	void **a = calloc(1, 512);
	void **b = calloc(1, 256);
	void **c = calloc(1, 48);

	a[10] = b;
	b[5] = c;
	root = a;
	data = calloc(1, 80);
}

int main(void)
{
	build();
	return 0;
}
