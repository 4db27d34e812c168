/* reachable-global: blocks reached from a global through start pointers.
 *
 *   global root (.bss) -> a (512 bytes) -> b (256 bytes) -> c (48 bytes)
 *   global data (.data) -> d (80 bytes)
 *
 * Every block has a chain of start pointers from a root: still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=896/4
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

void **root;
void *data = &data; /* in .data, not .bss */

static NOINLINE void build(void)
{
	void **a = calloc(1, 512);
	void **b = calloc(1, 256);
	void **c = calloc(1, 48);

	a[10] = b;
	b[5] = c;
	root = a;
	data = calloc(1, 80);
}

int main(void)
{
	build();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
