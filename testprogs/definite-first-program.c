/* definite-first-program: the first leak a user writes.
 *
 *   main: p = malloc(10); strcpy(p, "hello"); p = NULL; return 0
 *
 * Nothing points to the 10 bytes once p is NULL: definitely lost.  When
 * main returns, strcpy's return value (p) can still be in a caller-saved
 * register and the block's address in dead stack slots: neither is a
 * root (valgrind ignores the exiting thread's registers and the dead
 * part of its stack), so a checker that takes them calls the most common
 * leak in the world "still reachable".
 *
 * p is volatile only so that -O2 keeps the malloc (the block is never
 * read, so gcc and clang would delete it and the strcpy).
 *
 * EXPECT: definite=10/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- main
 */
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *volatile p = malloc(10);

	strcpy(p, "hello");
	p = NULL;
	return 0;
}
