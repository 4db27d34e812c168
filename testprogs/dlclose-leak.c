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
 * except _dl_find_object's mapping segment, 2,304 bytes, which
 * __libc_freeres frees at exit (valgrind's default): nothing is still
 * reachable (measured with valgrind on Debian 12, glibc 2.36).  The
 * leaks' allocation stacks point into unmapped code: symbolize from the
 * module list captured while it was loaded.
 *
 * EXPECT: definite=928/3 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <dlfcn.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

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
	return 0;
}
