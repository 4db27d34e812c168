/* cxx-class-new: a class with its own operator new/delete calling
 * malloc/free; one object freed, one leaked.
 *
 *   new Widget; delete                    freed
 *   new Widget (56 bytes), dropped        definitely lost (seen at malloc,
 *                                         called from Widget::operator new)
 *   emergency exception pool              72,704 bytes, still reachable
 *
 * Natively the leaked block is the last one malloc'd, and 56 bytes is 8
 * mod 16, so glibc's main_arena.top points 48 bytes into it: the trap of
 * definite-arena-top (a scan that takes libc's .data as a root without
 * excluding the allocator's state calls it possibly lost).
 *
 * EXPECT: definite=56/1 indirect=0/0 possible=0/0 reachable=72704/1
 */
#include <stdlib.h>
#include <new>

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

class Widget {
      public:
	long data[7];
	static void *operator new(size_t sz)
	{
		void *p = malloc(sz);
		if (!p)
			throw std::bad_alloc();
		return p;
	}
	static void operator delete(void *p)
	{
		free(p);
	}
};

static NOINLINE void work()
{
	Widget *w = new Widget();
	w->data[0] = 1;
	delete w;
	Widget *volatile lost = new Widget();
	lost->data[6] = 1;
}

int main()
{
	work();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
