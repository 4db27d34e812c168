/* memalign-leak: aligned allocations lost.
 *
 *   posix_memalign(&p, 64, 208)     lost
 *   aligned_alloc(256, 512)         lost
 *   memalign(4096, 112)             lost
 *
 * Each is one block of the requested size at an aligned address (glibc
 * over-allocates and splits internally, through no public entry point).
 * All three definitely lost: 832 bytes in 3 blocks.
 *
 * EXPECT: definite=832/3 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <malloc.h>
#include <stdint.h>
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

static NOINLINE void leak(void)
{
	void *p = NULL;
	void *q, *r;

	if (posix_memalign(&p, 64, 208) != 0)
		exit(2);
	q = aligned_alloc(256, 512);
	r = memalign(4096, 112);
	if ((uintptr_t)p % 64 || (uintptr_t)q % 256 || (uintptr_t)r % 4096)
		exit(3);
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
