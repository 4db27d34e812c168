/* cycle-lost: two blocks pointing at each other, nothing pointing at them.
 *
 *   a (48 bytes) <-> b (80 bytes), allocated in that order
 *
 * Both lost.  valgrind reports a lost cycle at one member, its clique
 * leader: it walks unreached blocks in address order, so the leader is the
 * lower-addressed block (a, allocated first, under both valgrind's and
 * glibc's allocator) -- definitely lost -- and b, reached from the leader,
 * is indirectly lost.
 *
 * EXPECT: definite=48/1 indirect=80/1 possible=0/0 reachable=0/0
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

static NOINLINE void make_cycle(void)
{
	void **a = calloc(1, 48);
	void **b = calloc(1, 80);

	a[0] = b;
	b[0] = a;
}

int main(void)
{
	make_cycle();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
