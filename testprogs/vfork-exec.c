/* vfork-exec: a parent that leaks, vforks a child that execs /bin/true,
 * waits for it and leaks again.
 *
 *   parent: malloc(112), dropped; vfork
 *   child:  execl("/bin/true") at once (shares the parent's memory until
 *           then; the tracer must not change the parent's text meanwhile)
 *   parent: waitpid; malloc(48), dropped
 *
 * The child never exits before its exec, and without --trace-children its
 * new image is not traced: no report from it.  The parent reports
 * 112 + 48 = 160 bytes in 2 blocks definitely lost.  (valgrind turns vfork
 * into fork; the result is the same.)
 *
 * EXPECT: definite=160/2 indirect=0/0 possible=0/0 reachable=0/0
 * ALLOC-SKIP[*]: run through env with --trace-children=yes, the program
 *   its child execs is traced and reports too
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

static NOINLINE int spawn(void)
{
	int status;
	pid_t pid = vfork();

	if (pid < 0)
		return 3;
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 2;
	return 0;
}

int main(void)
{
	int ret;

	leak(112);
	ret = spawn();
	leak(48);
	return ret;
}
