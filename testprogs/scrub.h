/*
 * scrub.h: what the testprogs use so that a leak's pointer survives nowhere
 * a conservative scan looks, except where the test means it to be.
 * Included by the testprogs that need it (a testprog stays one file of
 * its own pattern plus this).
 */
#ifndef TESTPROGS_SCRUB_H
#define TESTPROGS_SCRUB_H

#include <stddef.h>

#define NOINLINE __attribute__((noinline))

/* Overwrite the dead frames below the caller's with zeros, so that no stale
 * copy of a pointer is left where a scan from sp (less the red zone) finds it. */
static NOINLINE __attribute__((unused)) void clear_stack(void)
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

#endif
