/* reachable-tls: the only pointer is in a __thread variable of the main
 * thread.
 *
 *   main thread's static TLS: tls_ptr -> block (336 bytes)
 *
 * The main thread's TLS block is set up by ld.so before libc's malloc
 * is in use (so it is no tracked block) and lies below the TCB that fs
 * points to; it is a root: still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=336/1
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static __thread void *volatile tls_ptr; /* or -O2 deletes the store */

static NOINLINE void keep(void)
{
	tls_ptr = malloc(336);
}

int main(void)
{
	keep();
	return 0;
}
