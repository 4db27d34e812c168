/* pvalloc-leak: pvalloc rounds the size up to a whole page.
 *
 *   pvalloc(304), dropped: glibc allocates a 4096-byte page-aligned block
 *
 * The block's size is what pvalloc allocates, 304 rounded up to the page
 * size, as glibc does (and as valgrind's own pvalloc replacement would:
 * memalign(pagesize, PGROUNDUP(n)), on the systems where it has one).
 * Definitely lost, 4096 bytes.
 *
 * SKIP-VALGRIND: valgrind 3.19 on Linux aborts the program at any pvalloc call ("Program aborting because of call to pvalloc")
 * EXPECT: definite=4096/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	char *p = pvalloc(304);

	if ((uintptr_t)p % 4096)
		exit(2);
	p[4095] = 1; /* all of it is usable */
}

int main(void)
{
	leak();
	return 0;
}
