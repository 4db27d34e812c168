/* dlopen-leak: leaks inside a dlopen'ed library, which stays loaded.
 *
 *   dlopen("./lib-dlopen-leak.so", RTLD_NOW): its constructor runs
 *     malloc(48), dropped                         definitely lost
 *     lib_kept (lib's .bss) -> malloc(96)         still reachable
 *   lib_leak(): malloc(784), dropped              definitely lost
 *   the handle is kept in a global; no dlclose
 *
 * glibc's own dlopen bookkeeping is malloc'd (by ld.so, through libc's
 * malloc) and reachable from ld.so's data, so it is still reachable.
 * Measured with valgrind on Debian 12 (glibc 2.36), 3,943 bytes in 7
 * blocks:
 *      96  lib_kept
 *      21  the name "./lib-dlopen-leak.so" (_dl_map_object)
 *      56  dependency list (_dl_map_object_deps)
 *      72  version table (_dl_check_map_versions)
 *     149  origin directory (_dl_new_object: realloc to strlen(name) + 1
 *          + 128, enough for the cwd when it is shorter than 128 bytes)
 *   1,245  the link map (_dl_new_object)
 *   2,304  _dl_find_object's mapping segment
 *
 * EXPECT: definite=832/2 indirect=0/0 possible=0/0 reachable=3943/7
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

void *handle;

static NOINLINE void load(void)
{
	void (*fn)(void);

	handle = dlopen("./lib-dlopen-leak.so", RTLD_NOW);
	if (!handle)
		exit(2);
	fn = (void (*)(void))dlsym(handle, "lib_leak");
	if (!fn)
		exit(3);
	fn();
}

int main(void)
{
	load();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
