/*
 * heap-corrupt-fastbin-loop: a fastbin whose list loops.  Nine 40-byte
 * blocks are freed: seven fill the tcache, the last two go to the
 * fastbin of 48-byte chunks (F8 -> F7 -> end); F7's next pointer is made
 * to point back at F8 (safe-linking applied, so it reads as a real
 * link).  The walk must notice the loop, not follow it forever.
 * See heap-corrupt.h.
 */
#include "heap-corrupt.h"

int main(int argc, char **argv)
{
	void *f[9];

	hc_begin();
	hc_leak();
	for (int i = 0; i < 9; i++)
		f[i] = malloc(40);
	hc_keep(200); /* keeps the freed chunks away from top */
	for (int i = 0; i < 9; i++)
		free(f[i]);
	/* f[7]->fd = PROTECT_PTR(&f[7]->fd, chunk of f[8]) */
	hc_poke(f[7], ((uint64_t)f[7] >> 12) ^ (uint64_t)((char *)f[8] - 16));
	hc_say("warning: fastbin 1 of arena 0x\n");
	hc_say("warning: loops back to chunk %p\n", (void *)((char *)f[8] - 16));
	hc_wait(argc, argv);
}
