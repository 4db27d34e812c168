/*
 * heap-corrupt-size: a chunk in the main arena whose size field is
 * overwritten with garbage.  The walk must stop at that chunk and say so
 * naming it, and still find the leak made lower in the heap.
 * See heap-corrupt.h.
 */
#include "heap-corrupt.h"

int main(int argc, char **argv)
{
	unsigned char *b;

	hc_begin();
	hc_leak();
	hc_keep(200);
	b = hc_keep(200);
	hc_keep(200);
	hc_poke(b - 8, 0x4141414141414141ull);
	hc_say("warning: chunk at %p has an invalid size 0x4141414141414141\n",
	       (void *)(b - 16));
	hc_wait(argc, argv);
}
