/* exit-from-thread: a second thread calls exit(3) while main is blocked in
 * pthread_join holding a pointer in its own frame.
 *
 *   main's frame: keep (volatile) -> malloc(144)     still reachable
 *   thread: malloc(128), dropped; exit(3)            definitely lost
 *
 * The exiting thread is not the main thread: its stack is scanned from its
 * sp at exit() entry, main's from main's sp, with main's registers.  The
 * thread is alive at exit, so its DTV (272 bytes, pointed to at dtv + 1
 * from its TCB) is possibly lost, as in reachable-other-thread-stack.
 *
 * EXPECT: definite=128/1 indirect=0/0 possible=272/1 reachable=144/1
 * EXPECT-STATUS: 3
 */
#include <pthread.h>
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

static NOINLINE void lose(size_t n)
{
	char *p = malloc(n);

	memset(p, 0, n);
}

static void *worker(void *arg)
{
	lose(128);
	clear_stack();
	CLEAR_REGS();
	exit(3);
}

static NOINLINE void *alloc_keep(void)
{
	return malloc(144);
}

int main(void)
{
	void *volatile keep = alloc_keep();
	pthread_t t;

	clear_stack();
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 2;
	pthread_join(t, NULL);
	return keep != NULL; /* not reached */
}
