/* cxx-newarray-heuristic: the only pointer to a new[] array of objects
 * with a destructor is the one new[] returned, which points 8 bytes into
 * the malloc'd block (after the element count).
 *
 *   global arr -> (block + 8)     block: 8 + 10 * 16 = 168 bytes
 *
 * Plain rules make this "possibly lost" (interior pointer).  valgrind's
 * default --leak-check-heuristics=all includes "newarray": an interior
 * pointer at block + 8 whose first word is a plausible element count
 * (count * elem size fits the block) counts as reachable.  The expectation
 * follows valgrind's default: still reachable (LEAK SUMMARY also says
 * "of which reachable via heuristic: newarray: 168 bytes in 1 blocks").
 * This is the one test that depends on a heuristic; with
 * --leak-check-heuristics=none valgrind says possible=168/1.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=72872/2
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

struct Obj {
	long a, b;
	~Obj()
	{
		a = 0;
	}
};

Obj *arr;

static NOINLINE void keep()
{
	arr = new Obj[10];
	arr[9].a = 1;
}

int main()
{
	keep();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
