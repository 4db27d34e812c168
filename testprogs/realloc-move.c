/* realloc-move: a realloc that grows and moves the block, then the new
 * block is leaked.
 *
 *   p = malloc(16); blocker = malloc(16) (so p cannot grow in place)
 *   q = realloc(p, 4096)   p freed by realloc, q a new address
 *   free(blocker); q dropped
 *
 * The old block is gone from the table; q is definitely lost, with its
 * size from realloc.
 *
 * EXPECT: definite=4096/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>

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

static NOINLINE void grow(void)
{
	char *p = malloc(16);
	char *blocker = malloc(16);
	char *q;

	memset(p, 'p', 16);
	q = realloc(p, 4096);
	if (q == p)
		exit(2); /* did not move: the test would not test anything */
	q[4095] = 'q';
	free(blocker);
}

int main(void)
{
	grow();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
