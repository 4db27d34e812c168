/*
 * cpus: how many CPUs the program may run on, for tests/run.sh's
 * same-cpu check (no EXPECT line: the suite's leak check skips it).
 *
 * usage: cpus thread|fork
 *
 * Prints "start N" (sched_getaffinity's count at start), then starts a
 * thread (or forks a child) that prints "thread N" ("child N"), and
 * after it "then N" from the main thread.  Under leakcheck --same-cpu=yes
 * on a machine of N > 1 CPUs: start 1, then N everywhere.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ncpus(void)
{
	cpu_set_t s;
	return sched_getaffinity(0, sizeof(s), &s) ? -1 : CPU_COUNT(&s);
}

static void *thread(void *arg)
{
	(void)arg;
	printf("thread %d\n", ncpus());
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pid_t pid;

	if (argc != 2)
		return 2;
	printf("start %d\n", ncpus());
	fflush(stdout);
	if (!strcmp(argv[1], "thread")) {
		pthread_create(&t, NULL, thread, NULL);
		pthread_join(t, NULL);
	} else {
		pid = fork();
		if (pid == 0) {
			printf("child %d\n", ncpus());
			return 0;
		}
		waitpid(pid, NULL, 0);
	}
	printf("then %d\n", ncpus());
	return 0;
}
