/* fork-both: a parent and a forked child, each with its own leak, and one
 * leak from before the fork that both inherit.
 *
 *   before fork: malloc(32), dropped         lost in both processes
 *   child:       malloc(208), dropped; exit(0)
 *   parent:      waitpid(child); malloc(304), dropped
 *
 * A forked child reports on its own at its exit, starting from a copy of
 * the parent's heap at the fork:
 *   child:  32 + 208 = 240 bytes in 2 blocks, definitely lost
 *   parent: 32 + 304 = 336 bytes in 2 blocks, definitely lost
 *
 * EXPECT: definite=240/2 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT: definite=336/2 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(size_t n)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(n);

	memset(p, 0, n);
}

static NOINLINE void child(void)
{
	leak(208);
	exit(0);
}

static NOINLINE int parent(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 2;
	leak(304);
	return 0;
}

int main(void)
{
	pid_t pid;
	int ret;

	leak(32);
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0)
		child();
	ret = parent(pid);
	return ret;
}
