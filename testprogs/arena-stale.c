/*
 * A thread's arena keeps stale pointers: a worker thread (so its blocks
 * come from a non-main arena) copies the only pointer to a block into a
 * block of its own, then frees that block and exits.  The pointer stays
 * in the freed chunk inside the arena's heap, which is not a root: the
 * block is definitely lost.  The arena holds no live block at exit, so
 * only its heap_info header says it is heap.  A tracked block in a
 * mapping the kernel merged with memory the program mapped itself must
 * not hide that memory either: the block reachable only from an mmap'ed
 * page next to an mmapped chunk is still reachable.
 *
 * The joined thread's DTV (272 bytes, kept with its stack in glibc's
 * cache of thread stacks, pointed to 16 bytes in) is glibc's: valgrind's
 * __libc_freeres frees the cache at exit, and it is in no summary.
 *
 * EXPECT: definite=4000/1 indirect=0/0 possible=0/0 reachable=200100/2
 * ALLOC-SKIP[tcmalloc]: tcmalloc hands the unwritten 200,000-byte block the
 *   memory where the freed holder was, so it holds the stale pointer to the
 *   4,000 bytes (still reachable); the program is about glibc's arenas
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* volatile, or -O2 deletes what is stored in them and the blocks */
static void *volatile leaked;
static char *volatile big;
static void **volatile page;

static void *worker(void *arg)
{
	void *volatile *holder = malloc(64 * sizeof(void *)); /* stores kept */
	(void)arg;
	for (int i = 0; i < 64; i++)
		holder[i] = leaked;
	free((void *)holder);
	return NULL;
}

__attribute__((noinline)) static void lose(void)
{
	leaked = malloc(4000);
	memset((void *)leaked, 1, 4000);
}

int main(void)
{
	pthread_t t;

	lose();
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	leaked = NULL;

	big = malloc(200000); /* an mmapped chunk, a mapping of its own */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	page[0] = malloc(100);
	page = NULL;
	return 0;
}
