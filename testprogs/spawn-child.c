/*
 * spawn-child: starts PROGRAM as make, gcc, bash and Python do: with
 * posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) or with vfork + exec,
 * waits for it and exits with its status.  For tests/run.sh (no EXPECT
 * line): under --trace-children=yes the child, once it has exec'd, has
 * memory of its own and must get the fast path like a forked child.
 *
 * usage: spawn-child spawn|vfork PROGRAM [ARGS...]
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	pid_t pid;
	int st;

	if (argc < 3) {
		fprintf(stderr, "usage: spawn-child spawn|vfork PROGRAM [ARGS...]\n");
		return 2;
	}
	if (!strcmp(argv[1], "spawn")) {
		if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ))
			return 127;
	} else {
		pid = vfork();
		if (pid == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
