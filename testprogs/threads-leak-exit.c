/* threads-leak-exit: four threads run at once, each leaks 100 bytes and
 * exits; main joins them all.
 *
 *   thread i: malloc(100) (from its own malloc arena), dropped; return
 *
 * 400 bytes in 4 blocks definitely lost.  The threads are gone at exit,
 * and their stacks are in glibc's stack cache (still mapped); each
 * thread's DTV (calloc'd by pthread_create, 272 bytes) is kept with the
 * cached stack, pointed to only from the dead TCB at dtv + 1 (16 bytes
 * in): valgrind calls those possibly lost.  All four are created before
 * the first join, so no stack is reused: 4 DTVs, 1088 bytes.  The stacks
 * are 1 MiB (not RLIMIT_STACK's size), so glibc's 40 MiB stack cache keeps
 * all four whatever `ulimit -s` says.
 *
 * EXPECT: definite=400/4 indirect=0/0 possible=1088/4 reachable=0/0
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

static NOINLINE void leak(void)
{
	char *p = malloc(100);

	memset(p, 0, 100);
}

static void *worker(void *arg)
{
	leak();
	clear_stack();
	return NULL;
}

static NOINLINE void run(void)
{
	pthread_t t[4];
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], &attr, worker, NULL) != 0)
			exit(2);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	run();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
