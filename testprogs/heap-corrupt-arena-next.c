/*
 * heap-corrupt-arena-next: the ring of arenas (main_arena -> a thread's
 * arena -> main_arena) broken: the thread's arena's next pointer made to
 * point at an ordinary heap block, readable but no arena.  The walk must
 * not take that block for an arena; the thread arena's own blocks, walked
 * before its next pointer is followed, are still found: its leak of
 * 3,000 bytes too.
 * See heap-corrupt.h.
 */
#include <pthread.h>

#include "heap-corrupt.h"

#define HEAP_MAX (64ul << 20)
#define MS_NEXT 2160 /* offsetof(struct malloc_state, next), glibc 2.36 */

static unsigned char *in_arena;

static NOINLINE void leak_3000(void)
{
	unsigned char *p = malloc(3000);

	if (p)
		memset(p, 0x33, 3000);
	__asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
	(void)arg;
	in_arena = hc_keep(200);
	leak_3000();
	hc_clear_stack(); /* the thread's leak, as hc_wait does for main's */
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	unsigned char *decoy;
	uint64_t arena;

	hc_begin();
	hc_leak();
	decoy = hc_keep(4096);
	if (pthread_create(&th, NULL, worker, NULL) || pthread_join(th, NULL))
		return 2;
	/* heap_info.ar_ptr at the start of the 64 MiB-aligned heap */
	arena = *(uint64_t *)((uint64_t)in_arena & ~(HEAP_MAX - 1));
	if ((arena & ~(HEAP_MAX - 1)) == 0 || arena == (uint64_t)in_arena)
		return 2;
	hc_poke((void *)(arena + MS_NEXT), (uint64_t)decoy);
	hc_say("warning: arena at %#llx links to %p, which is not an arena\n",
	       (unsigned long long)arena, (void *)decoy);
	hc_say("lost: == 3,000 bytes in 1 blocks are definitely lost\n");
	hc_wait(argc, argv);
}
