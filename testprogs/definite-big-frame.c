/* definite-big-frame: a leak made under a function with a big frame (a
 * 64 KiB line buffer on the stack, as parsers have), after the program
 * has already allocated.
 *
 *   main: a config table (malloc, kept in a global)   still reachable
 *         parse(): char line[64 KiB]; for each of 3 lines,
 *                  remember(line) copies it: malloc(32), dropped
 *                                                   definitely lost
 *
 * 96 bytes in 3 blocks definitely lost, 256 in 1 still reachable.  The
 * stack of each lost block goes through parse's 64 KiB frame to main:
 * a recorder that copies a fixed window of the stack (16 KiB) loses
 * every frame above parse; walked with unwind tables, all are there.
 *
 * EXPECT: definite=96/3 indirect=0/0 possible=0/0 reachable=256/1
 * EXPECT-STACK: definite malloc <- remember <- parse <- main
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *config;
static char *volatile sink;

static NOINLINE void remember(const char *line)
{
	char *copy = malloc(32);

	strncpy(copy, line, 31);
	copy[31] = 0;
	sink = copy; /* forgot to keep it */
	sink = NULL;
}

static NOINLINE int parse(int n)
{
	char line[64 * 1024];
	int sum = 0;

	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "key%d = value%d", i, i * 7);
		memset(line + 32, 'x', sizeof(line) - 33);
		line[sizeof(line) - 1] = 0;
		remember(line);
		sum += line[i];
	}
	return sum;
}

int main(void)
{
	config = calloc(1, 256);
	return parse(3) == 0;
}
