/* stack-stale: the only copies of a pointer are in a dead stack frame,
 * well below the stack pointer at exit.
 *
 *   plant(): p = alloc(1024); slots[0..383] = p, in a 4 KiB local array;
 *            the top 128 slots (the 1 KiB next to main's frame) stay 0
 *   main: returns; exit() runs with sp above main's frame
 *
 * The copies lie from about 1 KiB to 4 KiB below the stack pointer at
 * exit() entry, and below the sp at the exit_group call too (measured:
 * exit_group is called 112 bytes below exit()'s entry sp).  The stack is
 * scanned from sp less the 128-byte red zone: they are dead data, and the
 * block is definitely lost.  A scanner that reads the whole stack mapping
 * calls it still reachable.  The dead frame is the setup, made on purpose
 * by plant(); nothing is cleared, before or after, and the registers keep
 * whatever plant() left in them (the exiting thread's registers are no
 * roots).
 *
 * The other stale-stack trap, copies between the exit_group sp and the
 * exit() entry sp, does not show up in a simple program: a probe that
 * fills 8 KiB below main's frame with a marker and calls exit() finds,
 * at exit_group, a single surviving marker word, 72 bytes below the
 * exit() entry sp -- inside the red zone that both scans include -- and
 * everything from there down to the exit_group sp less 128 overwritten by
 * exit()'s own frames (_dl_fini, __run_exit_handlers).  So valgrind's and
 * leakcheck's starting points give the same answer here.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void *alloc(void)
{
	return malloc(1024);
}

static NOINLINE void plant(void)
{
	void *volatile slots[512] __attribute__((unused));
	void *p = alloc();

	for (int i = 0; i < 512; i++)
		slots[i] = i < 384 ? p : NULL;
	p = NULL;
}

int main(void)
{
	plant();
	return 0;
}
