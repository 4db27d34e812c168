/* definite-arena-top: the last block allocated from glibc's main arena,
 * lost, with a size whose end lies past the next chunk's header.
 *
 *   p = malloc(1000), dropped; nothing allocated after it
 *
 * glibc: chunk size 1008, so main_arena.top (in libc's .data, a root)
 * holds p - 16 + 1008 = p + 992: a pointer *into* the block.  A scanner
 * that takes the allocator's own state as roots calls this block
 * "possibly lost".  valgrind replaces malloc and has no such pointer;
 * the block is definitely lost.  (Any size n with n % 16 in 1..8 does
 * this: the chunk is n + 8 rounded up to 16, and the next chunk starts 16
 * bytes before the chunk's end; cxx-new-delete, cxx-class-new and
 * cxx-new-array run into it too.)
 *
 * EXPECT: definite=1000/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(1000);

	memset(p, 0, 1000);
}

int main(void)
{
	leak();
	return 0;
}
