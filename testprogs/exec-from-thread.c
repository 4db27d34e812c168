/* exec-from-thread: a second thread execs /bin/true while the main thread
 * waits in pause().
 *
 *   main: malloc(1024) kept in a local; pthread_create; pause()
 *   thread: execl("/bin/true")
 *
 * The exec kills the main thread first (the kernel's de_thread), which
 * stops at its exit event: that is no exit of the process, and no report
 * of the old image is owed (valgrind makes none; see exec.c).  leakcheck
 * used to scan there and wait for the exec'ing thread, which the kernel
 * holds until the others are gone: a hang.  With --trace-children=yes
 * the new image, /bin/true, is traced and reports: nothing allocated.
 *
 * OPTS: --trace-children=yes
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *run(void *arg)
{
	(void)arg;
	execl("/bin/true", "true", (char *)NULL);
	return NULL;
}

int main(void)
{
	char *keep = malloc(1024);
	pthread_t t;

	memset(keep, 1, 1024);
	pthread_create(&t, NULL, run, NULL);
	pause();
	return keep[0];
}
