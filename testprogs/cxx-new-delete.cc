/* cxx-new-delete: balanced new/delete and new[]/delete[], plus one
 * object whose pointer is dropped.
 *
 *   10 x (new Point; delete)          freed
 *   new int[10]; delete[]             freed
 *   new Point (40 bytes), dropped     definitely lost
 *   libstdc++'s emergency exception pool, malloc'd at start-up (72,704
 *   bytes in 1 block), pointed to from libstdc++'s .data: still reachable
 *   (run-cxx-freeres=no: nobody frees it)
 *
 * operator new reaches malloc, which is what is counted.
 *
 * Natively the leaked block is the last one malloc'd, and 40 bytes is 8
 * mod 16, so glibc's main_arena.top points 32 bytes into it: the trap of
 * definite-arena-top (a scan that takes libc's .data as a root without
 * excluding the allocator's state calls it possibly lost).
 *
 * EXPECT: definite=40/1 indirect=0/0 possible=0/0 reachable=72704/1
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

struct Point {
	long x, y, z, w, v;
};

static NOINLINE void work()
{
	for (int i = 0; i < 10; i++) {
		Point *p = new Point();
		p->x = i;
		delete p;
	}
	int *a = new int[10];
	a[9] = 1;
	delete[] a;
	Point *volatile lost = new Point();
	lost->x = 1;
}

int main()
{
	work();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
