/* fork-both: a parent and a forked child, each with its own leak, and one
 * leak from before the fork that both inherit.
 *
 *   before fork: malloc(32), dropped         lost in both processes
 *   child:       malloc(208), dropped; exit(0)
 *   parent:      waitpid(child); malloc(304), dropped
 *
 * A forked child reports on its own at its exit, starting from a copy of
 * the parent's heap at the fork:
 *   child:  32 + 208 = 240 bytes in 2 blocks, definitely lost
 *   parent: 32 + 304 = 336 bytes in 2 blocks, definitely lost
 *
 * EXPECT: definite=240/2 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT: definite=336/2 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static NOINLINE void leak(size_t n)
{
	char *p = malloc(n);

	memset(p, 0, n);
}

static NOINLINE void child(void)
{
	leak(208);
	clear_stack();
	CLEAR_REGS();
	exit(0);
}

static NOINLINE int parent(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 2;
	leak(304);
	return 0;
}

int main(void)
{
	pid_t pid;
	int ret;

	leak(32);
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0)
		child();
	ret = parent(pid);
	clear_stack();
	CLEAR_REGS();
	return ret;
}
