/* dlclose-leak: leaks inside a dlopen'ed library that is dlclose'd before
 * exit.
 *
 *   dlopen("./lib-dlopen-leak.so", RTLD_NOW): its constructor runs
 *     malloc(48), dropped                         definitely lost
 *     lib_kept (lib's .bss) -> malloc(96)
 *   lib_leak(): malloc(784), dropped              definitely lost
 *   dlclose: the library is unmapped, so lib_kept is no root any more:
 *     the 96-byte block is definitely lost too
 *
 * dlclose frees glibc's bookkeeping for the library (see dlopen-leak)
 * except _dl_find_object's mapping segment, 2,304 bytes, reachable from
 * ld.so's data (measured with valgrind on Debian 12, glibc 2.36).  The
 * leaks' allocation stacks point into unmapped code: symbolize from the
 * module list captured while it was loaded.
 *
 * EXPECT: definite=928/3 indirect=0/0 possible=0/0 reachable=2304/1
 */
#include <dlfcn.h>
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

static NOINLINE void load_and_close(void)
{
	void (*fn)(void);
	void *handle = dlopen("./lib-dlopen-leak.so", RTLD_NOW);

	if (!handle)
		exit(2);
	fn = (void (*)(void))dlsym(handle, "lib_leak");
	if (!fn)
		exit(3);
	fn();
	if (dlclose(handle) != 0)
		exit(4);
}

int main(void)
{
	load_and_close();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
