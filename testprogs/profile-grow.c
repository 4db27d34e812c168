/* profile-grow: a heap that grows by a known amount between two points a
 * test can hold the program at, for the heap-snapshot tests
 * (tests/profile.sh); not a leak-pattern test, so no EXPECT line.
 *
 *   sync 0        nothing of ours allocated yet (a --pid test attaches here)
 *   base_blocks   10 x 1000 bytes, kept in a global array
 *   sync 1        the first snapshot is taken here
 *   grow          64 x 4096 = 262144 bytes, kept in a global array
 *   sync 2        the second snapshot is taken here
 *
 * At sync N the program writes "N\n" to stdout and waits for a line on
 * stdin, with read(2) and write(2): nothing between two syncs allocates
 * but the function named.  EOF on stdin lets it run to the end.
 */
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *base[10];
static void *grown[64];

static NOINLINE void base_blocks(void)
{
	for (int i = 0; i < 10; i++)
		base[i] = malloc(1000);
}

static NOINLINE void grow(void)
{
	for (int i = 0; i < 64; i++)
		grown[i] = malloc(4096);
}

static void sync_point(char n)
{
	char msg[2] = {n, '\n'}, c;

	if (write(1, msg, 2) != 2)
		return;
	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

int main(void)
{
	sync_point('0');
	base_blocks();
	sync_point('1');
	grow();
	sync_point('2');
	return 0;
}
