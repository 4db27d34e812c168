/* definite-threads-joined: worker threads that each forget one buffer,
 * and hand their result back through pthread_join, which main frees.
 *
 *   thread i (4 of them, joined by main):
 *     scratch = malloc(200), dropped          definitely lost, 4 x 200
 *     result = malloc(sizeof(long)), returned; main frees it
 *
 * The threads are gone at exit; their stacks (in glibc's cache) and
 * their DTVs are glibc's, freed by __libc_freeres: only the four scratch
 * buffers are reported.
 *
 * EXPECT: definite=800/4 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- worker
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *worker(void *arg)
{
	char *volatile scratch = malloc(200); /* volatile, or -O2 deletes it */
	long *result = malloc(sizeof(*result));

	memset(scratch, (int)(intptr_t)arg, 200);
	*result = (intptr_t)arg * 10;
	/* forgot free(scratch) */
	return result;
}

int main(void)
{
	pthread_t t[4];
	long sum = 0;

	for (intptr_t i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			return 2;
	for (int i = 0; i < 4; i++) {
		void *res;

		pthread_join(t[i], &res);
		sum += *(long *)res;
		free(res);
	}
	return sum == 60 ? 0 : 1;
}
