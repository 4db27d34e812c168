/* segv: the program leaks, then dies of SIGSEGV (a store through NULL).
 *
 *   malloc(1024), dropped          definitely lost
 *   global kept -> malloc(64)      still reachable
 *   crash(): *(int *)0 = 1
 *
 * The scan is at the fatal signal's exit stop, with the address space
 * intact.  The report is written, then leakcheck dies of the same signal
 * (as valgrind does): the shell sees 128 + 11.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=64/1
 * EXPECT-STATUS: 139
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

void *kept;

static NOINLINE void leak(void)
{
	char *p = malloc(1024);

	memset(p, 0, 1024);
	kept = malloc(64);
}

static NOINLINE void crash(void)
{
	*(volatile int *)0 = 1;
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	crash();
	return 0;
}
