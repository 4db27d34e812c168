/* definite-big-buffer: a buffer of more than 1 GiB, reserved for a file
 * or a table and dropped with only its first bytes written (the rest is
 * never touched: it costs address space, not memory).
 *
 * A block that big always spans a 1 GiB boundary, and allocators keep
 * such addresses: jemalloc's per-thread rtree cache (in its TLS) keeps
 * the boundary below each page it looked up, the block's last page
 * among them; taken for a pointer into the block, it made the leak
 * "possibly lost" under jemalloc (tests/allocators.sh).  The exit path's
 * dead frames hold half-overwritten pointers (an int stored over a
 * pointer's low half: a 4 GiB boundary), which the exit scan read when
 * it started from the last freeres call's sp instead of _exit's.
 *
 * EXPECT: definite=1074790400/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- main
 * VG-DIFFERS: valgrind puts the block at a low address (0x4a42040 here), where small integers the program's memory holds (ld.so's counters, sizes on the stack; its who_points_at names them) fall inside the block's 1 GiB: possibly lost there
 * VG-EXPECT: definite=0/0 indirect=0/0 possible=1074790400/1 reachable=0/0
 * VG-EXPECT-STACK: possible malloc <- main
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	size_t size = (1ul << 30) + (1ul << 20);
	char *buf = malloc(size);

	if (!buf)
		return 1;
	snprintf(buf, size, "%s: %zu bytes", argv[0], size);
	buf = NULL;
	return argc > 1;
}
