/* memalign-leak: aligned allocations lost.
 *
 *   posix_memalign(&p, 64, 208)     lost
 *   aligned_alloc(256, 512)         lost
 *   memalign(4096, 112)             lost
 *
 * Each is one block of the requested size at an aligned address (glibc
 * over-allocates and splits internally, through no public entry point).
 * All three definitely lost: 832 bytes in 3 blocks.
 *
 * EXPECT: definite=832/3 indirect=0/0 possible=0/0 reachable=0/0
 * ALLOC-SKIP[mimalloc]: Debian's mimalloc 2.0.9 returns aligned_alloc(256,
 *   512) at an address aligned to 128 only; the program checks and exits 3,
 *   natively too
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	void *p = NULL;
	/* volatile, or -O2 deletes the unread block */
	void *volatile q, *volatile r;

	if (posix_memalign(&p, 64, 208) != 0)
		exit(2);
	q = aligned_alloc(256, 512);
	r = memalign(4096, 112);
	if ((uintptr_t)p % 64 || (uintptr_t)q % 256 || (uintptr_t)r % 4096)
		exit(3);
}

int main(void)
{
	leak();
	return 0;
}
