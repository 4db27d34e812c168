/*
 * heap-corrupt-past-top: a chunk in the main arena whose size is well
 * formed (aligned, flags plausible) but runs past the top chunk, into the
 * top chunk's free space.  The walk must not wander into the top chunk.
 * See heap-corrupt.h.
 */
#include "heap-corrupt.h"

int main(int argc, char **argv)
{
	unsigned char *b, *last, *top;
	uint64_t size;

	hc_begin();
	hc_leak();
	b = hc_keep(200);
	last = hc_keep(200);
	/* nothing allocated after LAST: the top chunk follows it */
	top = last - 16 + (*(uint64_t *)(last - 8) & ~7ull);
	size = (uint64_t)(top - (b - 16)) + 0x400;
	hc_poke(b - 8, size | 1);
	hc_say("warning: chunk at %p has size %#llx, past the top chunk at %p\n",
	       (void *)(b - 16), (unsigned long long)size, (void *)top);
	hc_wait(argc, argv);
}
