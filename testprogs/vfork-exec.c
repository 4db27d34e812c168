/* vfork-exec: a parent that leaks, vforks a child that execs /bin/true,
 * waits for it and leaks again.
 *
 *   parent: malloc(112), dropped; vfork
 *   child:  execl("/bin/true") at once (shares the parent's memory until
 *           then; the tracer must not change the parent's text meanwhile)
 *   parent: waitpid; malloc(48), dropped
 *
 * The child never exits before its exec, and without --trace-children its
 * new image is not traced: no report from it.  The parent reports
 * 112 + 48 = 160 bytes in 2 blocks definitely lost.  (valgrind turns vfork
 * into fork; the result is the same.)
 *
 * EXPECT: definite=160/2 indirect=0/0 possible=0/0 reachable=0/0
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

static NOINLINE int spawn(void)
{
	int status;
	pid_t pid = vfork();

	if (pid < 0)
		return 3;
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 2;
	return 0;
}

int main(void)
{
	int ret;

	leak(112);
	ret = spawn();
	leak(48);
	clear_stack();
	CLEAR_REGS();
	return ret;
}
