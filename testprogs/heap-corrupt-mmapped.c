/*
 * heap-corrupt-mmapped: the header of a chunk glibc allocated with mmap
 * (a large block, on no list) is overwritten with garbage.  Such chunks
 * are found by their headers only, so the damaged one cannot be found;
 * glibc's own count of mmapped chunks says one is missing.  The intact
 * large block next to it must still be found.
 * See heap-corrupt.h.
 */
#include "heap-corrupt.h"

int main(int argc, char **argv)
{
	unsigned char *big;

	hc_begin();
	hc_leak();
	hc_keep(300000);
	big = hc_keep(400000);
	hc_poke(big - 8, 0x4141414141414141ull);
	hc_say("warning: glibc counts 2 mmapped chunks (704512 bytes) but "
	       "only 1 was found (303104 bytes)\n");
	hc_wait(argc, argv);
}
