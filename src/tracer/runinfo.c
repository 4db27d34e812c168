/*
 * runinfo: what the CI reports (JUnit, valgrind XML) say about a process
 * besides its leaks, read from /proc at its exit stop, while it still has
 * its memory: its command line, parent, start time and run time; and
 * leakcheck's own command line.  A process already gone (SIGKILL) gives
 * what is left: the command it exec'd, unknown times.
 */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/report.h"
#include "leakcheck/util.h"

/* /proc/PID/cmdline (PID 0: self) as a NULL-ended argv, or NULL. */
static char **read_argv(pid_t pid)
{
	char path[64], *buf, **argv;
	size_t len = 0, n = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cmdline");
	buf = read_file_text(path, &len);
	if (!buf)
		return NULL;
	if (len == 0) {
		free(buf);
		return NULL;
	}
	if (buf[len - 1] != 0)
		buf[len++] = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == 0;
	/* one block: the pointers, then the strings */
	argv = xmalloc((n + 1) * sizeof(*argv) + len);
	memcpy(argv + n + 1, buf, len);
	{
		char *s = (char *)(argv + n + 1);
		for (size_t i = 0; i < n; i++) {
			argv[i] = s;
			s += strlen(s) + 1;
		}
	}
	argv[n] = NULL;
	free(buf);
	return argv;
}

static char **one_argv(const char *s)
{
	size_t len = strlen(s) + 1;
	char **argv = xmalloc(2 * sizeof(*argv) + len);
	argv[0] = memcpy(argv + 2, s, len);
	argv[1] = NULL;
	return argv;
}

void runinfo_fill(struct report_run *run, struct proc *p)
{
	char path[64], *stat, *uptime;

	memset(run, 0, sizeof(*run));
	run->argv = read_argv(p->pid);
	if (!run->argv && p->command && *p->command)
		run->argv = one_argv(p->command);
	run->tool_argv = read_argv(0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	stat = read_file_text(path, NULL);
	uptime = read_file_text("/proc/uptime", NULL);
	if (stat && uptime) {
		/* fields after the ")" that ends comm: state(3) ppid(4) ...
		 * starttime(22), in clock ticks since boot */
		const char *s = strrchr(stat, ')');
		int ppid = 0;
		unsigned long long start = 0;
		double up = 0;
		long hz = sysconf(_SC_CLK_TCK);
		if (s &&
		    sscanf(s + 1,
			   " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
			   "%*u %*d %*d %*d %*d %*d %*d %llu",
			   &ppid, &start) == 2 &&
		    sscanf(uptime, "%lf", &up) == 1 && hz > 0) {
			double secs = up - (double)start / (double)hz;
			/* leakcheck stands where valgrind would: the program
			 * it launched has leakcheck's parent for parent */
			run->ppid = ppid == getpid() ? getppid() : ppid;
			run->seconds = secs > 0 ? secs : 0;
			run->start =
			    (long long)time(NULL) - (long long)run->seconds;
		}
	}
	free(stat);
	free(uptime);
}

void runinfo_release(struct report_run *run)
{
	free(run->argv);
	free(run->tool_argv);
}
