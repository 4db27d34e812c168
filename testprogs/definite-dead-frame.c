/* definite-dead-frame: the only pointer to a block is a local of a
 * function with a big frame (a 60 KiB buffer), which returns; then main
 * returns.
 *
 *   checksum(): char buf[60 KiB]; copy = malloc(4096), the only pointer,
 *               a local; fills buf, copies 4 KiB of it, sums the copy;
 *               returns without free(copy)
 *   main: returns
 *
 * When exit() runs, checksum's frame is dead, and its copy of the
 * pointer lies anywhere down to some 60 KiB below main's frame, far below
 * the stack pointer: no root.  Definitely lost.  A checker that scans the
 * stack from its lowest point rather than from the stack pointer finds
 * the stale copy and calls the block still reachable.
 *
 * EXPECT: definite=4096/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- checksum <- main
 * VG-EXPECT-STACK[clang-O2]: definite malloc <- main
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 */
#include <stdlib.h>
#include <string.h>

static long checksum(int seed)
{
	char buf[60 * 1024];
	char *volatile copy = malloc(4096); /* volatile, or -O2 drops the copy */
	long sum = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 31 + seed);
	memcpy(copy, buf + sizeof(buf) - 4096, 4096);
	for (size_t i = 0; i < 4096; i++)
		sum += copy[i];
	return sum; /* forgot free(copy) */
}

int main(int argc, char **argv)
{
	(void)argv;
	return checksum(argc) == 0;
}
