/* exec-self: the program leaks, then execs itself; the new image leaks a
 * different amount.
 *
 *   first image:  malloc(1024), dropped; execl(argv[0], argv[0], "again")
 *   second image: malloc(208), dropped; exit status 0
 *
 * The first image's leak is never reported (an exec is not an exit; see
 * exec.c).  With --trace-children=yes the second image is traced from its
 * start: 208 bytes definitely lost, one report.
 *
 * OPTS: --trace-children=yes
 * EXPECT: definite=208/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(size_t n)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(n);

	memset(p, 0, n);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "again") == 0) {
		leak(208);
		return 0;
	}
	leak(1024);
	execl(argv[0], argv[0], "again", (char *)NULL);
	return 127;
}
