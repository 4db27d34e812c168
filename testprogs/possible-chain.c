/* possible-chain: a block reached only through an interior pointer, and the
 * block it points to.
 *
 *   global mid -> (a + 40)      a: calloc(1, 208)
 *   a->child   -> b             b: calloc(1, 96), a start pointer
 *
 * a is possibly lost (interior pointer only).  b has a start pointer, but
 * only from a possibly-lost block, and valgrind marks what it reaches from
 * a "possible" block as possible too: both possibly lost.
 * No heuristic applies (offset 40, zero-filled blocks).
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=304/2 reachable=0/0
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

struct a {
	long pad[2];
	void *child;
	long rest[23];
};

char *mid;

static NOINLINE void build(void)
{
	struct a *a = calloc(1, sizeof(*a));

	a->child = calloc(1, 96);
	mid = (char *)a + 40;
}

int main(void)
{
	build();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
