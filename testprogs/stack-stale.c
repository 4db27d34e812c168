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
 * calls it still reachable.  (The stack is not cleared after plant(), on
 * purpose.)
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

/* Overwrite the dead frames below the caller's with zeros, so that no stale
 * copy of a pointer is left where a scan from sp (less the red zone) finds it. */
static NOINLINE void clear_stack(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

/* Zero the caller-saved registers, like valgrind's CLEAR_CALLER_SAVED_REGS. */
#define CLEAR_REGS()                                                           \
	__asm__ __volatile__("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\t"        \
			     "xor %%edx, %%edx\n\txor %%esi, %%esi\n\t"        \
			     "xor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"        \
			     "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\t"      \
			     "xor %%r11d, %%r11d\n\tpxor %%xmm0, %%xmm0\n\t"   \
			     "pxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"  \
			     "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\t"  \
			     "pxor %%xmm5, %%xmm5\n\tpxor %%xmm6, %%xmm6\n\t"  \
			     "pxor %%xmm7, %%xmm7\n\t"                         \
			     :                                                 \
			     :                                                 \
			     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9",  \
			       "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",   \
			       "xmm4", "xmm5", "xmm6", "xmm7", "memory")

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
	clear_stack();
	plant();
	CLEAR_REGS();
	return 0;
}
