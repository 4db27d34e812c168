/* ctor-leak: leaks in a constructor of the executable, which runs before
 * main (a tracer that starts at the entry point or at main misses them).
 *
 *   constructor: malloc(160), dropped                  definitely lost
 *                global kept -> malloc(96)             still reachable
 *                a 3-node list of 32-byte nodes, head dropped:
 *                  head definitely lost, 2 nodes indirectly lost
 *   main: nothing
 *
 * (A constructor of a shared library: see dlopen-leak.)
 *
 * EXPECT: definite=192/2 indirect=64/2 possible=0/0 reachable=96/1
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

struct node {
	struct node *next;
	long payload[3];
};

void *kept;

static NOINLINE void lose(size_t n)
{
	char *p = malloc(n);

	memset(p, 0, n);
}

static NOINLINE void lose_list(void)
{
	struct node *head = NULL, *n;

	for (int i = 0; i < 3; i++) {
		n = calloc(1, sizeof(*n));
		n->next = head;
		head = n;
	}
}

__attribute__((constructor)) static void init(void)
{
	lose(160);
	kept = malloc(96);
	lose_list();
	clear_stack();
}

int main(void)
{
	clear_stack();
	CLEAR_REGS();
	return 0;
}
