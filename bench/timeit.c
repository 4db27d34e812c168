/*
 * timeit: runs a command and writes one line to OUTFILE:
 *
 *     WALL_SECONDS EXIT MAXRSS_KB
 *
 * WALL_SECONDS from CLOCK_MONOTONIC around fork..wait4 (nanosecond
 * clock, no shell in between); EXIT is the exit status, or 128+signal;
 * MAXRSS_KB is wait4's ru_maxrss, which for a tracer is the larger of its
 * own peak and its tracee's (the kernel folds reaped children in), so
 * bench/run.sh measures leakcheck's own memory with selfrss.so instead.
 * stdin, stdout and stderr are the command's.
 *
 * usage: timeit OUTFILE COMMAND [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, code;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit OUTFILE COMMAND [ARGS...]\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "timeit: cannot run '%s': %s\n", argv[2],
			strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 125;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	out = fopen(argv[1], "w");
	if (!out) {
		fprintf(stderr, "timeit: cannot write '%s': %s\n", argv[1],
			strerror(errno));
		return 125;
	}
	fprintf(out, "%.6f %d %ld\n",
		(double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		code, ru.ru_maxrss);
	if (fclose(out))
		return 125;
	return code;
}
