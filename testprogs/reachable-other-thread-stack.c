/* reachable-other-thread-stack: the only pointer is on the stack of a
 * second thread, blocked in pause() while main calls exit().
 *
 *   holder thread's stack: p (volatile local) -> block (4000 bytes)
 *
 * Every thread's stack (from its sp less the red zone) and registers are
 * roots: still reachable.  The thread is alive at exit, so its DTV
 * (calloc'd by pthread_create: 272 bytes) is live too.  The only pointer
 * to it is the TCB's dtv field (at the top of the thread's stack mapping),
 * and glibc stores dtv + 1 there: 16 bytes into the block, which no
 * valgrind heuristic accepts, so valgrind calls it possibly lost.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=272/1 reachable=4000/1
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

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

static pthread_barrier_t ready;

static NOINLINE void *alloc_block(void)
{
	return calloc(1, 4000);
}

static void *holder(void *arg)
{
	void *volatile p = alloc_block();

	clear_stack();
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return (void *)p;
}

static NOINLINE void start(void)
{
	pthread_t t;

	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&t, NULL, holder, NULL);
	pthread_barrier_wait(&ready);
}

int main(void)
{
	start();
	clear_stack();
	CLEAR_REGS();
	exit(0);
}
