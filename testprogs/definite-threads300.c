/* definite-threads300: 300 threads, each leaking 5 blocks, all joined.
 *
 *   thread i (0..299, created all at once, joined by main):
 *     malloc(16), malloc(32), malloc(48), malloc(64), malloc(80), each
 *     dropped                                  definitely lost
 *
 * 300 x (16 + 32 + 48 + 64 + 80) = 72,000 bytes in 1,500 blocks,
 * definitely lost.  The dead threads' stacks and DTVs are glibc's
 * (freed by __libc_freeres): in no summary.
 *
 * EXPECT: definite=72000/1500 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- leak_five <- worker
 * VG-EXPECT-STACK[clang-O2]: definite malloc <- worker
 * VG-DIFFERS[clang-O2]: valgrind 3.19 reads no inlined calls from clang 14's DWARF 5 (it does from gcc's, and from clang's -gdwarf-4): its stacks lack the inlined frames leakcheck shows
 * ALLOC-LOST[jemalloc,mimalloc]: 72000/1500 (the blocks are written in
 *   their first byte only: the rest keeps what the allocator left there,
 *   free-list links (mimalloc) or a freed thread cache's pointers
 *   (jemalloc), and those point at other lost blocks, which are then
 *   indirectly lost; how many varies from run to run)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define NTHREADS 300

static void leak_five(int tag)
{
	for (int k = 1; k <= 5; k++) {
		/* volatile, or -O2 deletes the unread blocks */
		char *volatile p = malloc(16 * (size_t)k);

		p[0] = (char)tag;
	}
}

static void *worker(void *arg)
{
	leak_five((int)(intptr_t)arg);
	return NULL;
}

int main(void)
{
	static pthread_t t[NTHREADS];

	for (intptr_t i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			return 2;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
