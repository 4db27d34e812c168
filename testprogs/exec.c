/* exec: a program that leaks, then execs /bin/true.
 *
 *   malloc(1024), dropped; execl("/bin/true")
 *
 * An exec ends the old image without an exit: valgrind runs no leak check
 * for it (the 1024 bytes are never reported), and leakcheck does the same.
 * What is reported depends on --trace-children:
 *   no (the default): the new image is not traced; no report at all, and
 *     tests/run.sh cannot express "no report", so this test runs with
 *     --trace-children=yes instead;
 *   yes: the new image, /bin/true, is traced from its start and reports
 *     at its exit.  coreutils' true allocates nothing when given no
 *     argument, so: all heap blocks freed.
 * Exit status: true's, 0.
 *
 * OPTS: --trace-children=yes
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(1024);

	memset(p, 0, 1024);
}

int main(void)
{
	leak();
	execl("/bin/true", "true", (char *)NULL);
	return 127;
}
