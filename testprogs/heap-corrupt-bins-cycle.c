/*
 * heap-corrupt-bins-cycle: a free chunk in the unsorted bin whose fd and
 * bk point at itself, so the bin's list never comes back to its head.
 * The chunk walk does not need the bins, but it checks them against what
 * it found, and must not follow the cycle forever.
 * See heap-corrupt.h.
 */
#include "heap-corrupt.h"

int main(int argc, char **argv)
{
	unsigned char *b;

	hc_begin();
	hc_leak();
	hc_keep(2000);
	b = malloc(2000); /* too big for the tcache and the fastbins */
	hc_keep(2000);
	free(b);
	hc_poke(b, (uint64_t)(b - 16));     /* fd */
	hc_poke(b + 8, (uint64_t)(b - 16)); /* bk */
	hc_say("warning: bin 1 of arena 0x\n");
	hc_say("warning: loops back to chunk %p\n", (void *)(b - 16));
	hc_wait(argc, argv);
}
