/* clean-threads4: four threads, each allocating and freeing as it works,
 * joined by main; nothing leaks.
 *
 *   thread i: 1,000 x (p = malloc(64 + i); ...; free(p)), and a 4 KiB
 *             work buffer, freed
 *
 * The threads' stacks stay in glibc's cache, each with its DTV (272
 * bytes, pointed to 16 bytes in from the dead TCB): glibc's, freed by
 * __libc_freeres at exit.  valgrind says "All heap blocks were freed",
 * and a checker must report nothing (no possibly lost DTV): a clean
 * threaded program passes CI (exit 0 under --error-exitcode=9).
 *
 * OPTS: --error-exitcode=9
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *worker(void *arg)
{
	size_t extra = (size_t)(intptr_t)arg;
	char *work = malloc(4096);
	long sum = 0;

	for (int i = 0; i < 1000; i++) {
		/* volatile, or -O2 deletes each malloc with its free */
		char *volatile p = malloc(64 + extra);

		memset(p, i, 64 + extra);
		sum += p[extra];
		free(p);
	}
	memset(work, (int)sum, 4096);
	free(work);
	return NULL;
}

int main(void)
{
	pthread_t t[4];

	for (intptr_t i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			return 2;
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
