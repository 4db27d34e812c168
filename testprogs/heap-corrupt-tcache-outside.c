/*
 * heap-corrupt-tcache-outside: a tcache list whose first entry's next
 * pointer points outside the heap (safe-linking applied).  Three 100-byte
 * blocks are freed into the tcache bin of 112-byte chunks (bin 5: T2 ->
 * T1 -> T0); T2's next is made to point at 0x10000.  The walk must stop
 * that list and say so.  T1 and T0 can then not be told from live blocks.
 * See heap-corrupt.h.
 */
#include "heap-corrupt.h"

int main(int argc, char **argv)
{
	void *t[3];

	hc_begin();
	hc_leak();
	for (int i = 0; i < 3; i++)
		t[i] = malloc(100);
	hc_keep(200);
	for (int i = 0; i < 3; i++)
		free(t[i]);
	hc_poke(t[2], ((uint64_t)t[2] >> 12) ^ 0x10000);
	hc_say("warning: tcache bin 5 of the thread cache at 0x\n");
	hc_say("warning: links entry %p to 0x10000, which is not a free chunk\n",
	       t[2]);
	hc_wait(argc, argv);
}
