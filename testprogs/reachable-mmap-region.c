/* reachable-mmap-region: the only pointer is in a region the program
 * mmapped itself (no malloc block lives there).
 *
 *   anonymous mmap region, word 1000 -> block (208 bytes)
 *
 * A writable mapping that holds no heap block is a root: still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=208/1
 */
#include <stdlib.h>
#include <sys/mman.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void keep(void)
{
	void **region = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (region == MAP_FAILED)
		exit(2);
	region[1000] = malloc(208);
}

int main(void)
{
	keep();
	return 0;
}
