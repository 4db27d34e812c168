/* cxx-new-array: arrays from new[] lost.
 *
 *   new int[100], dropped                 400 bytes: no array cookie for a
 *                                         trivially destructible type
 *   new Obj[10], dropped (Obj has a       8 + 10 * 16 = 168 bytes: the
 *   destructor, sizeof 16)                8-byte element count comes first
 *                                         and new[] returns block + 8
 *   emergency exception pool              72,704 bytes, still reachable
 *
 * No pointer to either array survives, so no heuristic is involved:
 * 568 bytes in 2 blocks definitely lost.
 *
 * Natively the Obj array is the last block malloc'd, and 168 is 8 mod 16,
 * so glibc's main_arena.top points 160 bytes into it: the trap of
 * definite-arena-top.
 *
 * EXPECT: definite=568/2 indirect=0/0 possible=0/0 reachable=72704/1
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

static NOINLINE void leak()
{
	int *volatile ints = new int[100];
	Obj *volatile objs = new Obj[10];

	ints[99] = 1;
	objs[9].a = 1;
}

int main()
{
	leak();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
