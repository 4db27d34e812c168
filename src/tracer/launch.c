/*
 * launch: start the program.  XXX: skeleton only; ptrace comes next.
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leakcheck/options.h"
#include "leakcheck/tracer.h"
#include "leakcheck/util.h"

int tracer_launch(const char *path, char *const argv[], struct trace_result *res)
{
	pid_t pid = fork();
	if (pid < 0) {
		error("cannot fork: %s", strerror(errno));
		return LC_EXIT_INTERNAL;
	}
	if (pid == 0) {
		execv(path, argv);
		_exit(127);
	}
	while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR)
		;
	return 0;
}
